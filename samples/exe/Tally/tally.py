#!/usr/bin/env python3
"""Tally: a counter entity as an executable, speaking the entity batch
protocol (spec §6.4): one batch of operations on stdin, with the state as
a JSON-encoded string; the new state, one result per operation and any
signals on stdout.

    add(n)  state + n        reset   state 0
    get     returns state    delete  removes the state
"""
import json
import sys


def main():
    req = json.load(sys.stdin)
    exists = req.get("exists", False)
    state = json.loads(req["state"]) if exists and req.get("state") is not None else 0
    results = []
    for op in req.get("batch", []):
        name, arg = op["name"], json.loads(op.get("input") or "null")
        if name == "add" and isinstance(arg, int):
            state, exists = state + arg, True
            results.append({"isError": False, "result": "null"})
        elif name == "reset":
            state, exists = 0, True
            results.append({"isError": False, "result": "null"})
        elif name == "get":
            results.append({"isError": False, "result": json.dumps(state)})
        elif name == "delete":
            state, exists = 0, False
            results.append({"isError": False, "result": "null"})
        else:
            # A failed operation: the protocol reports it, the state stays.
            results.append({"isError": True, "result": "Tally cannot %s %r" % (name, arg)})
    json.dump({"entityExists": exists, "entityState": json.dumps(state) if exists else None,
               "results": results, "signals": []}, sys.stdout)


if __name__ == "__main__":
    main()
