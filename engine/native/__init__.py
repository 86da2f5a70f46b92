"""How llama.cpp gets built for the machine it runs on.

`install.py` builds and installs llama-cpp-python before the rest of logitscope is installed; it
decides the build with `build_plan.py` (the AMX probe and fix), caches wheels with
`wheelhouse.py` and leaves a record (`build_record.py`) for `logitscope doctor`. All of it is
standard library only, because it runs before anything else is installed.
"""
