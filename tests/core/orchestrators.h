/*
 * orchestrators.h — the C test orchestrators the golden cases run, looked up
 * by name (case-insensitive); unknown names give NULL, which is how a case
 * tests an unknown orchestrator.
 */
#ifndef TH_TESTS_CORE_ORCHESTRATORS_H
#define TH_TESTS_CORE_ORCHESTRATORS_H

#include "sdk/taskhub.h"

th_orchestrator_fn *orch_lookup(const char *name);

#endif
