"""durable.py — a small orchestrator SDK for taskhub executables, in the
Python standard library only.

It speaks the Durable Functions out-of-process protocol (docs/functions.md,
"Executables"): taskhubd writes the trigger input (the history, with
numeric EventType and IsPlayed, the input, instanceId, isReplaying, ...) on
standard input, and the orchestrator answers with an OrchestratorState
(isDone, the cumulative list of actions in schema V3, output,
customStatus) on standard output. Orchestrator functions are generators,
as in azure-functions-durable:

    import durable

    def orchestrator(ctx):
        a = yield ctx.call_activity("SayHello", "Tokyo")
        ctx.set_custom_status("Tokyo")
        return [a]

    durable.main(orchestrator)

Each time the function is run from the start; every task it yields that
the history already completed gives its result at once, and the first one
that is not complete ends the run: the actions scheduled so far are the
reply, and taskhub calls the function again when something happens. The
engine checks the actions against the history (non-determinism), so this
module only has to find completions: by TaskScheduledId (activities,
sub-orchestrations), TimerId (timers), and event name in arrival order.
"""
import datetime
import json
import sys

# Durable Task event types (spec §5.2); the numbers are the protocol.
EXECUTION_STARTED, TASK_COMPLETED, TASK_FAILED = 0, 5, 6
SUB_COMPLETED, SUB_FAILED = 8, 9
TIMER_FIRED, ORCHESTRATOR_STARTED, EVENT_RAISED = 11, 12, 15


class TaskFailed(Exception):
    """A task failed; the message is its reason."""


class Task:
    def __init__(self, action=None, ident=None):
        self.action, self.id = action, ident
        self.done, self.failed, self.result, self.error, self.at = False, False, None, None, None

    def _complete(self, at, result=None, error=None):
        self.done, self.at = True, at
        if error is not None:
            self.failed, self.error = True, error
        else:
            self.result = result


class _Composite(Task):
    def __init__(self, tasks, want_all):
        super().__init__()
        self.children, self.want_all = list(tasks), want_all

    def _settle(self):
        done = [t for t in self.children if t.done]
        if self.want_all:
            failed = sorted((t for t in done if t.failed), key=lambda t: t.at)
            if failed:
                self._complete(failed[0].at, error=failed[0].error)
            elif len(done) == len(self.children):
                self._complete(max((t.at for t in done), default=0), [t.result for t in self.children])
        elif done:
            first = min(done, key=lambda t: t.at)
            self._complete(first.at, first)


class TimerTask(Task):
    def cancel(self):
        self.action["isCanceled"] = True


def _parse_time(s):
    s = s.rstrip("Z")
    if "." in s:
        head, frac = s.split(".", 1)
        s = head + "." + (frac + "000000")[:6]
        fmt = "%Y-%m-%dT%H:%M:%S.%f"
    else:
        fmt = "%Y-%m-%dT%H:%M:%S"
    return datetime.datetime.strptime(s, fmt).replace(tzinfo=datetime.timezone.utc)


def _json_or_raw(s):
    if s is None:
        return None
    try:
        return json.loads(s)
    except ValueError:
        return s


class Context:
    def __init__(self, request):
        self.instance_id = request.get("instanceId")
        self.parent_instance_id = request.get("parentInstanceId")
        self._input = request.get("input")
        self._history = request.get("history") or []
        self._actions, self._seq, self._status = [], 0, None
        self._status_set = False
        self._waits = {}
        self._completions, self._events = {}, {}
        starts = [e for e in self._history if e["EventType"] == ORCHESTRATOR_STARTED]
        if not starts:
            raise ValueError("The orchestrator can not execute without an OrchestratorStarted event.")
        self.current_utc_datetime = _parse_time(starts[0]["Timestamp"])
        self.is_replaying = bool(starts[0].get("IsPlayed"))
        last_start = starts[0]
        for pos, e in enumerate(self._history):
            t = e["EventType"]
            if t == ORCHESTRATOR_STARTED:
                last_start = e
            elif t in (TASK_COMPLETED, TASK_FAILED, SUB_COMPLETED, SUB_FAILED):
                self._completions[("task", e["TaskScheduledId"])] = (pos, e, last_start)
            elif t == TIMER_FIRED:
                self._completions[("timer", e["TimerId"])] = (pos, e, last_start)
            elif t == EVENT_RAISED:
                self._events.setdefault(e["Name"].lower(), []).append((pos, e, last_start))

    # -- what the orchestrator calls ------------------------------------------------
    def get_input(self):
        return self._input

    def set_custom_status(self, value):
        self._status, self._status_set = value, True

    def _schedule(self, action, kind, cls=Task):
        task = cls(action, self._seq)
        self._seq += 1
        self._actions.append(action)
        hit = self._completions.get((kind, task.id))
        if hit is not None:
            pos, e, start = hit
            if e["EventType"] in (TASK_FAILED, SUB_FAILED):
                task._complete(pos, error=e.get("Reason") or "failed")
            elif kind == "timer":
                task._complete(pos)
            else:
                task._complete(pos, _json_or_raw(e.get("Result")))
            task._start = start
        return task

    def call_activity(self, name, input_=None):
        return self._schedule({"actionType": 0, "functionName": name, "input": input_}, "task")

    def call_sub_orchestrator(self, name, input_=None, instance_id=None):
        action = {"actionType": 2, "functionName": name, "input": input_}
        if instance_id is not None:
            action["instanceId"] = instance_id
        return self._schedule(action, "task")

    def create_timer(self, fire_at):
        stamp = fire_at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return self._schedule({"actionType": 5, "fireAt": stamp, "isCanceled": False}, "timer", TimerTask)

    def wait_for_external_event(self, name):
        self._actions.append({"actionType": 6, "externalEventName": name, "reason": "ExternalEvent"})
        task = Task()
        k = self._waits.get(name.lower(), 0)
        self._waits[name.lower()] = k + 1
        arrived = self._events.get(name.lower(), [])
        if k < len(arrived):
            pos, e, start = arrived[k]
            task._complete(pos, _json_or_raw(e.get("Input")))
            task._start = start
        return task

    def task_all(self, tasks):
        t = _Composite(tasks, True)
        t._settle()
        return t

    def task_any(self, tasks):
        t = _Composite(tasks, False)
        t._settle()
        return t

    def continue_as_new(self, input_):
        self._actions.append({"actionType": 4, "input": input_})
        self._continued = True

    # -- the replay -----------------------------------------------------------------
    def _advance(self, task):
        """The clock and replay flag once task's completion is seen."""
        leaves = task.children if isinstance(task, _Composite) else [task]
        starts = [getattr(t, "_start", None) for t in leaves if t.done]
        starts = [s for s in starts if s is not None]
        if starts:
            s = max(starts, key=lambda e: e["Timestamp"])
            t = _parse_time(s["Timestamp"])
            if t > self.current_utc_datetime:
                self.current_utc_datetime = t
            self.is_replaying = bool(s.get("IsPlayed"))

    def _state(self, done, output=None, error=None):
        state = {"isDone": done, "actions": [self._actions], "schemaVersion": 2}
        if done and output is not None:
            state["output"] = output
        if self._status_set:
            state["customStatus"] = self._status
        if error is not None:
            state["error"] = error
        return state


def run(orchestrator, request):
    """Runs orchestrator against request; (state, failed)."""
    ctx = Context(request)
    gen = orchestrator(ctx)
    if not hasattr(gen, "send"):  # a plain function: done at once
        return ctx._state(True, gen), False
    value, exc = None, None
    while True:
        try:
            task = gen.throw(exc) if exc is not None else gen.send(value)
        except StopIteration as stop:
            return ctx._state(True, stop.value), False
        except Exception as e:  # noqa: BLE001 - the orchestrator's failure
            return ctx._state(True, error=str(e)), True
        if getattr(ctx, "_continued", False) and task is None:
            return ctx._state(True), False
        if not task.done:
            return ctx._state(False), False
        ctx._advance(task)
        value, exc = None, None
        if task.failed:
            exc = TaskFailed(task.error)
        else:
            value = task.result


def main(orchestrator):
    """The executable's entry: request on stdin, reply on stdout."""
    request = json.load(sys.stdin)
    state, failed = run(orchestrator, request)
    if failed:
        # The failure form of the protocol: the message, then the state.
        sys.stdout.write("%s\n\n$OutOfProcData$:%s" % (state["error"], json.dumps(state)))
        sys.exit(1)
    json.dump(state, sys.stdout)
