/*
 * samples.h — the entry points of the sample function app (samples.so) and
 * the small JSON reader the samples share.
 *
 * The samples are the orchestrations of the seed documents, written
 * against taskhub.h; each function.json under samples/functions/ names one
 * of these symbols as its entryPoint. The module is not linked against
 * libtaskhub: taskhubd exports the th_* symbols to the objects it loads.
 */
#ifndef TH_SAMPLES_H
#define TH_SAMPLES_H

#include <taskhub.h>

/* hello.c: the "visualize progress" sample. */
const char *hello_sequence(th_orch *o);
int say_hello(th_activity *a);

/* city.c: custom status chosen by the input. */
const char *city_recommender(th_orch *o);

/* booking.c: a discount, then a confirmation event with a timeout. */
const char *booking_flow(th_orch *o);
int calculate_discount(th_activity *a);
int booking_discount(const char *user_id);

/* setstatus.c: custom status read over HTTP. */
const char *set_status_test(th_orch *o);

/*
 * sjson.c — just enough JSON reading for function inputs, since taskhub.h
 * hands functions JSON text. Every function takes one complete JSON text
 * (leading and trailing white space allowed); results come from the given
 * arena, so orchestrators can use them without malloc().
 */
/* The decoded value when json is a string (UTF-8, escapes resolved), else
 * NULL. A string holding \u0000 is refused (NULL), as C strings cannot
 * carry it. */
char *sjson_string(th_arena *a, const char *json);
/* 0 and *out when json is an integer in range, else -1. */
int sjson_int(const char *json, long long *out);
/* 1 when json is the literal true, else 0. */
int sjson_is_true(const char *json);
/* The JSON text of member key of the object json (the first one with that
 * name), copied into the arena; NULL when json is not an object or has no
 * such member. */
char *sjson_member(th_arena *a, const char *json, const char *key);
/* The first character that is not JSON white space. */
const char *sjson_skip_ws(const char *p);
/* The end of the JSON value starting at p (after leading white space),
 * or NULL when there is no valid value there. Nesting is capped. */
const char *sjson_skip_value(const char *p);

#endif
