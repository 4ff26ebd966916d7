/*
 * runexe.h — functions that are executables (DESIGN §4, issue 5): the
 * request each kind gets on stdin, the reply it must give on stdout, and
 * how a child's failure becomes the invocation's failure. Called on the
 * activity worker threads (child.h does the process work).
 *
 *   activity      stdin: the input JSON ("null" when none); stdout: the
 *                 output JSON (nothing at all means null); exit status 0.
 *                 A non-zero exit is a failure whose reason is stderr.
 *   orchestrator  stdin: the out-of-process trigger input (oop.h);
 *                 stdout: the OrchestratorState reply, parsed later by the
 *                 scheduler inside its transaction.
 *
 * The environment is exactly: PATH, LANG, HOME and TMPDIR, and
 * TASKHUB_FUNCTION, TASKHUB_KIND (activity | orchestrator),
 * TASKHUB_INSTANCE_ID, TASKHUB_HUB.
 */
#ifndef TH_RUNEXE_H
#define TH_RUNEXE_H

#include <stddef.h>

struct worker_job;

#define RUNEXE_OUT_MAX (8u << 20) /* stdout kept; more is "printed too much" */
#define RUNEXE_ERR_MAX 4096 /* stderr kept as a failure reason */

/* Fills j->res from a run of j->exe with j->input. */
void runexe_activity(struct worker_job *j);
/* Fills j->reply (stdout) or j->fatal from a run of j->exe with j->request. */
void runexe_orchestrator(struct worker_job *j);

#endif
