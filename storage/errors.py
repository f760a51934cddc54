"""StorageError: what storage raises when the caller cannot continue."""


class StorageError(Exception):
    """Base of every error raised by storage/."""


class UnsupportedDatabase(StorageError):
    """The database URL names a backend qualibot does not run on."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"unsupported database URL {url!r}: use sqlite:///path.db or "
            "postgresql://user@host/db (async drivers are chosen for you)"
        )


class NaiveDatetime(StorageError):
    """A datetime without a timezone reached the database; storage keeps aware UTC only."""

    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(f"naive datetime {value!r}: pass an aware UTC datetime")


class VersionTaken(StorageError):
    """Another writer took the flow version number this one was about to add (two admins
    publishing at once); nothing was written: try again."""

    def __init__(self, flow_id: str, version: int) -> None:
        self.flow_id, self.version = flow_id, version
        super().__init__(f"flow {flow_id!r} version {version} was just added by someone else")


class DatabaseBusy(StorageError):
    """Every pooled connection stayed busy for the pool's whole timeout: the database (or
    this worker) is overloaded. Worth retrying later; nothing was written."""

    def __init__(self) -> None:
        super().__init__("the database is busy (no free connection in time); retry shortly")
