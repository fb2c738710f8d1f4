"""What ``mkdocs serve`` watches with: the system's file events, passing on edits only, once per burst.

MkDocs' live-reload server rebuilds on any event under a watched folder. Its own observer polls every
file twice a second, which takes seconds a poll at 10,000 cottages, so edits show late. The system's file
events (inotify, through watchdog) are immediate, but they also say that a file was opened, or closed
without a write; every build reads every content file, so a single read would start builds for ever
(each reloading every open tab and wiping a half-filled pledge form). :class:`EditObserver` therefore
passes on only writes, creations, deletions and moves of files, and a burst of them (an editor saving
through a temporary file, a ``git checkout``) as one event once it has been quiet for :data:`QUIET`
seconds.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from watchdog.events import (
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

#: The kinds of event that change content; opened, closed and closed_no_write do not.
EDITS = frozenset({EVENT_TYPE_MODIFIED, EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MOVED})
#: Seconds without another edit before the burst is passed on.
QUIET = 0.3


class Debounced(FileSystemEventHandler):
    """Passes the last file edit of each burst to ``handler``, ``quiet`` seconds after the burst ends."""

    def __init__(self, handler: FileSystemEventHandler, quiet: float = QUIET) -> None:
        self.handler = handler
        self.quiet = quiet
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._last: FileSystemEvent | None = None

    def dispatch(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type not in EDITS:
            return
        with self._lock:
            self._last = event
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.quiet, self._pass_on)
            self._timer.daemon = True
            self._timer.start()

    def _pass_on(self) -> None:
        with self._lock:
            event, self._last, self._timer = self._last, None, None
        if event is not None:
            self.handler.dispatch(event)

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._last = None


class EditObserver(Observer):  # type: ignore[misc,valid-type]
    """watchdog's native observer whose handlers hear about edits only, debounced."""

    def __init__(self, *args: Any, quiet: float = QUIET, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quiet = quiet
        self._debounced: list[Debounced] = []

    def schedule(self, event_handler: FileSystemEventHandler, path: str | Path, *, recursive: bool = False,
                 **kwargs: Any) -> ObservedWatch:
        handler = Debounced(event_handler, self.quiet)
        self._debounced.append(handler)
        return super().schedule(handler, path, recursive=recursive, **kwargs)

    def stop(self) -> None:
        for handler in self._debounced:
            handler.cancel()
        super().stop()
