#!/bin/sh
# Env: prints its environment as a JSON object of names (sorted).
printf "["; env | cut -d= -f1 | sort | sed "s/.*/\"&\"/" | paste -sd, - | tr -d "\\n"; printf "]"
