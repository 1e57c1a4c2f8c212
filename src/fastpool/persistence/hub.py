"""Hugging Face Hub ids -> a local snapshot folder, through ``huggingface_hub``.

``huggingface_hub`` (the client model2vec and sentence-transformers use) does
the downloading, the authentication and the cache; fastpool asks it only for
the files a static model can need (the three layouts of ``folder.py``, plus
``modules.json`` and ``README.md``), then loads the snapshot folder like any
local folder: the table is memory-mapped from the cache. ``force_download``
keeps model2vec 0.10's meaning (True: ask the hub for the latest revision,
downloading only what changed; False: use the cached snapshot when it holds a
complete layout, else download). ``HF_HUB_OFFLINE=1`` resolves from the cache
only; what is missing is said in the error.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from .folder import LAYOUTS

__all__ = ["HUB_FILES", "HubSnapshot", "download_model", "is_hub_id", "push_folder"]

#: Every file a static model folder may need, in any layout.
HUB_FILES = tuple(
    sorted({name for layout in LAYOUTS for name in layout[:3]} | {"modules.json", "README.md"})
)
# A repo id as the hub spells one: "name" or "org/name" (no "..", no "--" edges).
_REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)?")


def is_hub_id(path: str | os.PathLike[str]) -> bool:
    """Whether ``path``, not an existing local path, can only mean a hub repo id."""
    text = os.fspath(path)
    if not isinstance(text, str) or Path(text).expanduser().exists():
        return False
    return bool(_REPO_ID.fullmatch(text)) and ".." not in text and not text.endswith(".")


class HubSnapshot:
    """A downloaded (or cached) snapshot: its folder, repo id and commit."""

    def __init__(self, folder: Path, repo_id: str, commit: str | None) -> None:
        self.folder = folder
        self.repo_id = repo_id
        #: The snapshot's commit hash, when the folder is a cache snapshot.
        self.commit = commit


def _hub() -> Any:
    try:
        import huggingface_hub
    except ImportError as err:
        raise ImportError(
            "loading a model from the Hugging Face Hub needs huggingface_hub: "
            "pip install huggingface_hub (or pass a local folder)"
        ) from err
    return huggingface_hub


def _patterns(subfolder: str | None) -> list[str]:
    if not subfolder:
        return list(HUB_FILES)
    prefix = subfolder.strip("/")
    return [f"{prefix}/{name}" for name in HUB_FILES]


def _has_layout(folder: Path) -> bool:
    return any(all((folder / name).is_file() for name in layout[:3]) for layout in LAYOUTS)


def _missing(folder: Path, repo_id: str, where: str) -> FileNotFoundError:
    """What a snapshot lacks, layout by layout."""
    lines = []
    for layout in LAYOUTS:
        lacks = [name for name in layout[:3] if not (folder / name).is_file()]
        lines.append(f"{' + '.join(layout[:3])}: missing {', '.join(lacks)}")
    return FileNotFoundError(
        f"{repo_id}: the {where} snapshot {folder} holds no complete model ({'; '.join(lines)})"
    )


def _commit_of(folder: Path) -> str | None:
    return folder.name if folder.parent.name == "snapshots" else None


def _silent_tqdm() -> type:
    """huggingface_hub's tqdm, never shown (model2vec hides download bars too)."""
    from huggingface_hub.utils import tqdm

    class SilentTqdm(tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return SilentTqdm


def download_model(
    repo_id: str,
    *,
    revision: str | None = None,
    token: str | bool | None = None,
    subfolder: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    force_download: bool = True,
) -> HubSnapshot:
    """The snapshot folder of ``repo_id`` (the subfolder not joined), downloading
    the model's files into the ``huggingface_hub`` cache when needed.

    Raises
    ------
    ImportError
        Without ``huggingface_hub``.
    FileNotFoundError
        Offline (``HF_HUB_OFFLINE=1`` or no connection) and the cache lacks the
        model, or the snapshot holds no complete layout (the message says which
        files are missing), or the hub has no such repo visible with ``token``.
    ValueError
        The repo id is not one (``huggingface_hub``'s ``HFValidationError``).
    """
    hub = _hub()
    from huggingface_hub import errors

    patterns = _patterns(subfolder)
    options: dict[str, Any] = {
        "repo_type": "model", "revision": revision, "token": token,
        "cache_dir": None if cache_dir is None else os.fspath(cache_dir),
        "allow_patterns": patterns, "tqdm_class": _silent_tqdm(),
    }  # fmt: skip
    where = "cached"
    folder: Path | None = None
    if not force_download:
        try:
            folder = Path(hub.snapshot_download(repo_id, local_files_only=True, **options))
        except errors.LocalEntryNotFoundError:
            folder = None
        if folder is not None and not _has_layout(folder / subfolder if subfolder else folder):
            folder = None
    if folder is None:
        try:
            folder = Path(hub.snapshot_download(repo_id, **options))
        except errors.RepositoryNotFoundError as err:
            raise FileNotFoundError(
                f"{repo_id} is neither a local folder nor a model repo on the hub "
                f"({'with this token' if token else 'without a token'}: a private or gated "
                f"repo needs one). ({type(err).__name__})"
            ) from err
        except errors.LocalEntryNotFoundError as err:
            cache = os.fspath(cache_dir) if cache_dir is not None else _cache_root()
            offline = os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE")
            why = "HF_HUB_OFFLINE is set" if offline else "the hub could not be reached"
            raise FileNotFoundError(
                f"{repo_id} is not a local folder, and revision {revision or 'main'!r} is not "
                f"(completely) in the Hugging Face cache at {cache} ({why}); needed: "
                f"{', '.join(patterns)} in one of the layouts. Download it once with network "
                f"access, or pass a local folder. ({type(err).__name__}: {err})"
            ) from err
        where = "downloaded"
    target = folder / subfolder if subfolder else folder
    if not _has_layout(target):
        raise _missing(target, repo_id, where)
    return HubSnapshot(folder, repo_id, _commit_of(folder))


def _cache_root() -> str:
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def push_folder(
    folder: Path, repo_id: str, *, private: bool, token: str | None, subfolder: str | None
) -> None:
    """Upload a saved model folder to ``repo_id``, creating the repo first when it
    does not exist (its visibility is then ``private``), as model2vec does."""
    hub = _hub()
    if not hub.repo_exists(repo_id=repo_id, token=token):
        hub.create_repo(repo_id, token=token, private=private)
    hub.upload_folder(repo_id=repo_id, folder_path=folder, token=token, path_in_repo=subfolder)
