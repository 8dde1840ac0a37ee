#!/usr/bin/env bash
# keep-running.sh COMMAND [ARG...]: run COMMAND, and start it again whenever it exits by itself.
#
# `make run` starts the Celery worker and beat through this (Procfile), as docker-compose's
# `restart: unless-stopped` does in production (issue 13): after Redis was down a minute the
# worker exited in 2 of 3 runs (kombu 5.7: "Unrecoverable error: AttributeError('NoneType'
# object has no attribute 'hostname')"), and honcho, which runs the Procfile, does not restart
# a process (it stops all the others instead).
#
# SIGTERM or SIGINT (honcho's Ctrl-C, sent to the whole process group) stops COMMAND and this
# loop, with COMMAND's exit status. KEEP_RUNNING_DELAY: seconds between an exit and the next
# start (default 2), so a command that cannot start does not spin.
set -u

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi

delay="${KEEP_RUNNING_DELAY:-2}"
stopping=0
child=0

stop() {
    stopping=1
    if [ "$child" -ne 0 ]; then
        kill -TERM "$child" 2>/dev/null
    fi
}
trap stop TERM INT

while :; do
    "$@" &
    child=$!
    wait "$child"
    status=$?
    # A trapped signal ends `wait` early: wait for the command itself to finish.
    while kill -0 "$child" 2>/dev/null; do
        wait "$child"
        status=$?
    done
    child=0
    if [ "$stopping" -eq 1 ]; then
        exit "$status"
    fi
    echo "keep-running: $1 exited by itself (status $status); starting it again in ${delay} s" >&2
    sleep "$delay" &
    wait $! 2>/dev/null
    if [ "$stopping" -eq 1 ]; then
        exit 0
    fi
done
