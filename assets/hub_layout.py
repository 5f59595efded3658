"""Which files make up each split of a Hub dataset, resolved the way `datasets.load_dataset` resolves them.

A hub source without a `path` takes the dataset whole: the card's `configs:` / `data_files` when it has them,
else the Hub's standard file layouts (`data/<split>-0000i-of-0000N.*`, `train.csv`, `test/…`, one file as
`train`). The patterns and their order are `datasets`' own (`datasets.load.HubDatasetModuleFactory`, the
builder's data-files resolution over `HfFileSystem`), not a copy, so a steward gets the files `load_dataset`
would read. Everything is resolved at one commit: the sha the revision pointed at when resolving began, which
the nightly compares to tell an unchanged upstream without listing anything.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from assets.hub import without_progress_bars


class HubLayoutError(ValueError):
    """The Hub dataset has no files `load_dataset` could read as asked: unknown configs, no data files, a bad
    split name or a data file outside the repo."""


@dataclass(frozen=True)
class HubLayout:
    repo_id: str
    revision: str  # as the catalog names it (a branch, tag or sha)
    commit_sha: str  # what `revision` pointed at: every file below is read at this commit
    # config name -> split name -> sorted repo-relative paths at `commit_sha`
    splits: dict[str, dict[str, list[str]]]
    # repo-relative path -> the file's format by its name, a one-file compression suffix (.gz, .zst, .bz2, .xz,
    # .lz4) dropped: parquet, csv, jsonl, json, tsv, txt, arrow, zip, … (`train.jsonl.gz` -> jsonl)
    formats: dict[str, str]
    # config name -> the `datasets` builder load_dataset reads it with (parquet, csv, json, text, …)
    builders: dict[str, str]
    # the card's `configs:` as written at the commit (config name -> data_files, data_dir, …); {} without any
    card_configs: dict[str, dict]

    def files(self) -> list[str]:
        """Every data file of the chosen configs, once, sorted."""
        return _files_of(self.splits)


def resolve_hub_dataset(repo_id: str, revision: str, configs: list[str] | None = None) -> HubLayout:
    """The files of each split of `repo_id` at `revision`: the default config's splits, or those of `configs`.

    Raises HubLayoutError for config names the dataset lacks (naming those it has), for a dataset without data
    files, or for a layout `load_dataset` would refuse. Hub errors (repo or revision not found, 401, 5xx) come
    through as huggingface_hub's HfHubHTTPError subclasses."""
    from datasets import config as datasets_config
    from datasets.data_files import EmptyDatasetError
    from datasets.exceptions import DataFilesNotFoundError
    from datasets.load import HubDatasetModuleFactory, get_dataset_builder_class
    from huggingface_hub import HfApi

    without_progress_bars()
    # Resolving is not a download: no download-count request to a third-party host (offline, it waits 3 s).
    datasets_config.HF_UPDATE_DOWNLOAD_COUNTS = False
    info = HfApi().dataset_info(repo_id, revision=revision)
    commit = info.sha
    where = f"Hub dataset {repo_id} at {revision} (commit {commit})"
    script = posixpath.basename(repo_id) + ".py"
    if any(sibling.rfilename == script for sibling in info.siblings or []):
        raise HubLayoutError(f"{where} is a dataset script ({script}), which load_dataset no longer runs")
    _check_card_split_names(info.card_data, where)
    try:
        # load_dataset's own factory for Hub repos, at the commit; unlike dataset_module_factory it has no
        # fallback to an earlier cached copy, so a Hub error surfaces instead of an old layout.
        module = HubDatasetModuleFactory(repo_id, commit_hash=commit).get_module()
    except (EmptyDatasetError, DataFilesNotFoundError) as error:
        raise HubLayoutError(f"{where} has no data files load_dataset can read: {_first_line(error)}") from None
    except ValueError as error:  # datasets' refusals of a layout: a malformed card, mixed formats across splits
        raise HubLayoutError(f"{where}: load_dataset refuses its layout: {_first_line(error)}") from None
    builder_kwargs = dict(module.builder_kwargs)
    dataset_name = builder_kwargs.pop("dataset_name", None)
    builder_cls = get_dataset_builder_class(module, dataset_name=dataset_name)
    chosen = _chosen_configs(builder_cls, configs, where)
    splits: dict[str, dict[str, list[str]]] = {}
    builders: dict[str, str] = {}
    for name in chosen:
        try:
            # The builder resolves the config's data-file patterns at the commit, as load_dataset's does.
            builder = builder_cls(config_name=name, dataset_name=dataset_name, hash=module.hash, **builder_kwargs)
        except FileNotFoundError as error:
            raise HubLayoutError(f"{where}: config {name!r}: {_first_line(error)}") from None
        except ValueError as error:  # e.g. data files of another repo
            raise HubLayoutError(f"{where}: config {name!r}: load_dataset refuses it: {_first_line(error)}") from None
        splits[name] = _split_files(builder.config.data_files, repo_id, commit, f"{where}: config {name!r}")
        builders[name] = builder.name
    formats = {path: _file_format(path) for path in _files_of(splits)}
    return HubLayout(repo_id, revision, commit, splits, formats, builders, _card_configs(info.card_data))


def _chosen_configs(builder_cls: type, configs: list[str] | None, where: str) -> list[str]:
    # The names and the default as datasets.get_dataset_config_names / get_dataset_default_config_name give them.
    available = list(builder_cls.builder_configs) or [builder_cls.DEFAULT_CONFIG_NAME or "default"]
    if configs is None:
        default = builder_cls.DEFAULT_CONFIG_NAME or (available[0] if len(available) == 1 else None)
        if default is None:
            raise HubLayoutError(f"{where} has several configs and no default: name the ones to take, from "
                                 f"{available}")
        return [default]
    if isinstance(configs, str) or not configs:
        raise HubLayoutError(f"{where}: configs must list at least one config name, from {available}; got {configs!r}")
    unknown = [name for name in configs if name not in available]
    if unknown:
        raise HubLayoutError(f"{where} has no config {', '.join(map(repr, unknown))}; its configs: {available}")
    return list(dict.fromkeys(configs))


def _card_configs(card_data: object) -> dict[str, dict]:
    """The card's `configs:` entries by name, plain YAML data (datasets' own reading turns features into objects)."""
    configs = card_data.get("configs") if hasattr(card_data, "get") else None
    entries = [config for config in configs if isinstance(config, dict)] if isinstance(configs, list) else []
    return {str(entry.get("config_name")): {k: v for k, v in entry.items() if k != "config_name"} for entry in entries}


def _check_card_split_names(card_data: object, where: str) -> None:
    """A clear refusal of a card split name datasets would refuse (its message shows the whole data_files)."""
    for name, config in _card_configs(card_data).items():
        data_files = config.get("data_files")
        for item in data_files if isinstance(data_files, list) else []:
            if isinstance(item, dict) and "split" in item:
                _check_split_name(str(item["split"]), f"{where}: card config {name!r}")


def _check_split_name(split: str, where: str) -> None:
    from datasets.naming import filename_prefix_for_split

    try:
        filename_prefix_for_split("split", split)  # the check load_dataset applies to a split's name
    except ValueError:
        raise HubLayoutError(f"{where}: invalid split name {split!r}: load_dataset accepts words joined by '.' "
                             "(letters, digits, '_')") from None


def _split_files(data_files: dict, repo_id: str, commit: str, where: str) -> dict[str, list[str]]:
    in_repo = f"hf://datasets/{repo_id}@{commit}/"
    splits: dict[str, list[str]] = {}
    for split, files in data_files.items():
        _check_split_name(str(split), where)
        outside = [file for file in files if not file.startswith(in_repo)]
        if outside:
            raise HubLayoutError(f"{where}: split {split!r} reads {outside[0]}, outside the repo at this commit")
        if not files:
            raise HubLayoutError(f"{where}: split {split!r} matches no file")
        splits[str(split)] = sorted(file[len(in_repo):] for file in files)
    if not splits:
        raise HubLayoutError(f"{where} has no splits")
    return splits


def _files_of(splits: dict[str, dict[str, list[str]]]) -> list[str]:
    return sorted({path for by_split in splits.values() for paths in by_split.values() for path in paths})


def _file_format(path: str) -> str:
    from datasets.filesystems import COMPRESSION_FILESYSTEMS  # the one-file compressions load_dataset reads through

    name = posixpath.basename(path).lower()
    compressed = {extension for filesystem in COMPRESSION_FILESYSTEMS for extension in filesystem.extensions}
    stem, dot, extension = name.rpartition(".")
    if dot and "." + extension in compressed:
        name = stem
    return name.rpartition(".")[2] if "." in name else ""


def _first_line(error: BaseException) -> str:
    """The error's first paragraph on one line: datasets' messages wrap, then add pages of examples."""
    paragraph = str(error).strip().split("\n\n")[0]
    return " ".join(paragraph.split()) or type(error).__name__
