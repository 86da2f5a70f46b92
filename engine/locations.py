"""Where logitscope keeps files: one place, on platformdirs, with environment overrides.

LOGITSCOPE_DATA_DIR overrides the data dir (sessions, adapters, caches), LOGITSCOPE_LOG_DIR the
log dir (llama.cpp's log), LOGITSCOPE_CONFIG the config file.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "logitscope"


def data_dir() -> Path:
    override = os.environ.get("LOGITSCOPE_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    override = os.environ.get("LOGITSCOPE_LOG_DIR")
    if override:
        path = Path(override)
    elif os.environ.get("LOGITSCOPE_DATA_DIR"):
        path = data_dir() / "logs"
    else:
        path = Path(platformdirs.user_log_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def llama_log_path() -> Path:
    """The file llama.cpp's own output (and the worker's stdout/stderr) goes to."""
    return log_dir() / "llama.log"


def config_path() -> Path:
    override = os.environ.get("LOGITSCOPE_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"
