/*
 * fuzz_api.h — the responder as the API fuzz targets drive it: the real
 * api_dispatch() (routing, query, authentication, handlers) against a real
 * store, without FastCGI.
 *
 * The environment is created once per process in a temporary directory
 * (removed at exit) and holds one empty task hub, TestHubName, with no
 * registered functions and no instances. Every handler therefore runs its
 * whole validation and then finds nothing to change (unknown function,
 * unknown instance, unknown entity), so no input makes the store grow and
 * the answer to an input does not depend on the inputs before it.
 */
#ifndef TH_FUZZ_API_H
#define TH_FUZZ_API_H

#include "api/api.h"

#define FUZZ_API_KEY "fuzz-key" /* the one system key */

/* Runs one request (borrowed) and checks the answer: never a 5xx, a body
 * that is one JSON value, header lines without stray CR or LF. A broken
 * rule aborts (fuzz_fail). */
void fuzz_api_dispatch(const struct api_req *req);

#endif
