"""Sessions: every turn with a model journaled durably, replayable without a model.

Public API (import from here):

    store = SessionStore()                      # data_dir()/sessions
    session = store.open_or_create("my-exp")    # by name, id or id prefix; only inside the store
    record_generation(session, request, result) # on disk (fsynced) when it returns
    session.turns[i]                            # Turn: request, result (with provenance, steps)
    session.problems                            # torn / damaged records skipped while reading
    session.append_battery_run(new_battery_run(fingerprint, folder, records, summary_rows))
    session.battery_runs[i]                     # BatteryRun: fingerprint, summary, results records
    session.append_comparison(new_comparison(compare_request, compare_steps, compare_result))
    session.comparisons[i]                      # ComparisonRecord: request, every CompareStep, result

This package never imports textual; `sessions.rerun` imports the engine only to run requests.
"""

from .battery_runs import BatteryRun, new_battery_run
from .comparisons import ComparisonRecord, new_comparison
from .errors import (
    NewerFormatError,
    NotASessionError,
    NotInStoreError,
    RerunError,
    SessionError,
    SessionExistsError,
    SessionNotFoundError,
)
from .format import FORMAT_NAME, FORMAT_VERSION
from .journal import Session
from .model import (
    AdapterRecord,
    Problem,
    SessionHeader,
    SessionOrigin,
    Turn,
    TurnKind,
    TurnOrigin,
)
from .record import (
    make_turn,
    record_choice,
    record_generation,
    record_score,
    record_to,
    record_turn,
)
from .store import SessionInfo, SessionStore

__all__ = [
    "FORMAT_NAME", "FORMAT_VERSION", "AdapterRecord", "BatteryRun", "ComparisonRecord", "NewerFormatError",
    "NotASessionError", "NotInStoreError", "Problem", "RerunError", "Session", "SessionError", "SessionExistsError",
    "SessionHeader", "SessionInfo", "SessionNotFoundError", "SessionOrigin", "SessionStore",
    "Turn", "TurnKind", "TurnOrigin", "make_turn", "record_choice", "record_generation",
    "new_battery_run", "new_comparison", "record_score", "record_to", "record_turn",
]
