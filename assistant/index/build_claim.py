"""One index build at a time, on this machine and across machines that share a Chroma server.

A file lock (under VECTORSTORE_DIR) keeps a second build on this machine out at once. Machines
that share a server have lock files of their own, so the build also claims the store in Chroma
itself: a collection `<name>_build_lock` whose metadata says who holds it (host, process) and
when it last reported. Creating a collection that exists fails for everyone else. A claim left
by a build that died is taken over: at once when its process is gone from this machine, else
once it has not reported for LOCK_STALE_SECONDS.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path

from chromadb.api import ClientAPI
from chromadb.errors import ChromaError
from filelock import FileLock, Timeout

log = logging.getLogger(__name__)

LOCK_STALE_SECONDS = 300  # a build reports after every batch; one silent this long has died


class IndexBusy(RuntimeError):
    """Another process is building the index (in the same folder, or on the same server)."""


class BuildClaim:
    """`with BuildClaim(client, name, lock_file) as claim:` holds the store for one build;
    `claim.report_alive()` after every batch keeps it."""

    def __init__(self, client: ClientAPI, name: str, lock_file: Path):
        self.client = client
        self.name = name
        self.lock = FileLock(lock_file)

    def __enter__(self) -> BuildClaim:
        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            raise IndexBusy(f"another index build is running on {self.lock.lock_file}; "
                            "wait for it to finish and start again") from None
        try:
            self._claim()
        except BaseException:
            self.lock.release()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self._still_ours():
                self.client.delete_collection(self.name)
        finally:
            self.lock.release()

    def _claim(self) -> None:
        for attempt in range(2):
            try:
                self.client.create_collection(self.name, metadata=_holder())
                return
            except ChromaError:
                pass
            try:
                holder = dict(self.client.get_collection(self.name).metadata or {})
            except ChromaError:
                continue  # released in between: claim it again
            silent = time.time() - float(holder.get("heartbeat", 0))
            if attempt == 0 and _abandoned(holder, silent):
                log.warning("Taking over the index build claim of %s (process %s), silent for %.0f s",
                            holder.get("host"), holder.get("pid"), silent)
                self.client.delete_collection(self.name)
                continue
            raise IndexBusy(f"another index build (host {holder.get('host')}, process {holder.get('pid')}) "
                            f"is writing to this store; it last reported {silent:.0f} s ago. Wait for it to "
                            f"finish and start again (a build silent for {LOCK_STALE_SECONDS} s is taken over)")
        raise IndexBusy("could not claim the store for an index build; start again")

    def _still_ours(self) -> bool:
        """Whether the claim is still this process's (another build takes over a silent one)."""
        try:
            holder = self.client.get_collection(self.name).metadata or {}
        except ChromaError:
            return False
        me = _holder()
        return (holder.get("host"), holder.get("pid")) == (me["host"], me["pid"])

    def report_alive(self) -> None:
        if not self._still_ours():
            raise IndexBusy("this build was silent too long and another build took it over")
        self.client.get_collection(self.name).modify(metadata=_holder())


def _holder() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid(), "heartbeat": time.time()}


def _abandoned(holder: dict, silent: float) -> bool:
    """A claim whose build died: its process is gone from this machine, or it went silent."""
    if silent > LOCK_STALE_SECONDS:
        return True
    if holder.get("host") != socket.gethostname():
        return False
    try:
        os.kill(int(holder["pid"]), 0)
    except ProcessLookupError:
        return True
    except (KeyError, ValueError, PermissionError):
        return False
    return False
