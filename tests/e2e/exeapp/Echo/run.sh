#!/bin/sh
# Echo: prints its input back.
cat
