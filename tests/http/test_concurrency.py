#!/usr/bin/env python3
"""test_concurrency.py — the singleton start under contention, through
each server: 32 clients start the same instance ID at the same moment
(connections opened first, requests released together by a barrier), 50
rounds at most (bounded in time too; speed is not asserted). Every round
exactly one start gets 202 and the other 31 get 409,
never a 5xx or a second 202; the winner's instance has exactly one
ExecutionStarted in its inbox. Even rounds use a fresh ID; odd rounds race
to replace the previous round's instance after it was marked Completed
(the replace path of the same transaction).

TAP on stdout; exit 1 when any test failed.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import os  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as T  # noqa: E402  (the shared helpers)

CLIENTS = 32
ROUNDS = 50
ROUND_TIMEOUT = 60  # seconds one request may take before it counts as failed
BUDGET = 50.0  # seconds for all servers together; rounds past it are not run
MIN_ROUNDS = 2  # one fresh ID and one replace: both paths of the transaction


def race(t, iid, round_no):
    """CLIENTS simultaneous starts of iid; the list of Resp (or exceptions)."""
    return T.race_post(t, T.api_target(f"orchestrators/HelloSequence/{iid}"), b'{"round":%d}' % round_no,
                       CLIENTS, ROUND_TIMEOUT)


def run_target(tap, t, env, deadline):
    p = T.Suite(tap, t, env).p
    bad_rounds, inbox_bad, statuses = [], [], {}
    rounds = 0
    prev = None
    for rno in range(ROUNDS):
        if time.monotonic() > deadline:
            break
        if rno % 2 == 1 and prev is not None:
            env.set_status(prev, "Completed", output='"done"')
            iid = prev  # the race replaces a finished instance
        else:
            iid = f"{p}race-{rno}"
        res = race(t, iid, rno)
        rounds += 1
        codes = [r.status if isinstance(r, T.Resp) else repr(r) for r in res]
        for c in codes:
            statuses[c] = statuses.get(c, 0) + 1
        n202 = codes.count(202)
        n409 = codes.count(409)
        if n202 != 1 or n409 != CLIENTS - 1:
            others = sorted({str(c) for c in codes if c not in (202, 409)})
            bad_rounds.append(f"round {rno} ({iid}): {n202} x 202, {n409} x 409, others {others}")
        else:
            winner = next(r for r in res if r.status == 202)
            if (winner.json_or_none() or {}).get("id") != iid:
                bad_rounds.append(f"round {rno}: the 202 names {short(winner.body)}")
            for r in res:
                if r.status == 409 and T.is_error(r, 409, f"An instance with ID '{iid}' already exists."):
                    bad_rounds.append(f"round {rno}: {T.is_error(r, 409)}")
                    break
        inbox = env.inbox(iid)
        starts = [e for e in inbox if e[0] == "ExecutionStarted"]
        if len(starts) != 1:
            inbox_bad.append(f"round {rno} ({iid}): {len(starts)} ExecutionStarted in the inbox")
        rec = env.status(iid) or {}
        if rec.get("status") != "Pending":
            inbox_bad.append(f"round {rno} ({iid}): status {rec.get('status')}")
        prev = iid if rno % 2 == 0 else None
    tap.diag(f"{t.name}: {rounds} rounds of {CLIENTS}; answers {statuses}")
    # The budget only bounds the load (a slow machine runs fewer rounds);
    # speed is never asserted, but both the fresh and the replace path must run.
    tap.ok(rounds >= MIN_ROUNDS, f"[{t.name}] at least {MIN_ROUNDS} rounds ran (fresh ID and replace)",
           f"{rounds} rounds")
    tap.ok(rounds and not bad_rounds,
           f"[{t.name}] {CLIENTS} concurrent starts of one ID: exactly one 202, {CLIENTS - 1} x 409, every round",
           "\n".join(bad_rounds[:20]))
    tap.ok(rounds and not inbox_bad, f"[{t.name}] each winner started exactly once (one ExecutionStarted, Pending)",
           "\n".join(inbox_bad[:20]))
    replaced = [env.status(f"{p}race-{r}") for r in range(0, rounds, 2) if r + 1 < rounds]
    gens = sorted({(x or {}).get("generation") for x in replaced})
    tap.eq(gens, ["1"] if replaced else [], f"[{t.name}] replaced instances were replaced once (generation 1)")


def short(b):
    return T.short(b, 200)


def main():
    T.require_programs()
    tap = T.Tap()
    with T.environment() as env:
        with T.targets(env) as ts:
            if not ts:
                T.skip_all("no server available")
            t0 = time.monotonic()
            for i, t in enumerate(ts):
                # Each server gets an equal share of what is left of the budget.
                left = BUDGET - (time.monotonic() - t0)
                run_target(tap, t, env, time.monotonic() + left / (len(ts) - i))
            tap.diag(f"total {time.monotonic() - t0:.1f} s")
            chk = env.ctl("check", check=False)
            tap.ok(chk.returncode == 0, "taskhubctl check: store consistent afterwards", chk.stdout + chk.stderr)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
