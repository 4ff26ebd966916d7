/*
 * setstatus.c — SetStatusTest (seed: "querying custom status with HTTP"):
 * sets {"nextActions":["A","B","C"],"foo":2} as its custom status, does
 * "more work" (one SayHello call) and completes with output null. The
 * status stays visible to GET status after completion.
 */
#include "samples.h"

const char *
set_status_test(th_orch *o)
{
	/* work... then update the status with some arbitrary data */
	th_set_custom_status(o, "{\"nextActions\":[\"A\",\"B\",\"C\"],\"foo\":2}");
	/* more work... */
	th_await_result(o, th_call_activity(o, "SayHello", "\"SetStatusTest\""));
	return "null";
}
