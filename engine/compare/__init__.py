"""Compare: one prompt under 2-4 configurations, decoded side by side on one loaded model.

The questions researchers bring are comparative (no system prompt vs an empty one, an adapter at
0.5, 1 and 2): where do the answers part, and how far apart are the distributions before they
do? A comparison decodes every configuration ("lane") in lockstep, each in a KV sequence of its
own, and at every position measures the divergence between each pair of lanes' full next-token
distributions (KL both ways, Jensen-Shannon, each side's probability of the other's token). In a
teacher-forced comparison every lane is scored on the same tokens (one lane's answer, or a
given text), so the divergence is about the distributions, not about sampled paths.

- types.py: the request, the per-position step and the result (frozen dataclasses; they cross
  the worker's pipe);
- divergence.py: the arithmetic over two logits rows, and the per-pair summary;
- lockstep.py: the decoding loop, run by the worker's LlamaBackend;
- across_models.py: a comparison with lanes on other model files (same vocabulary), a worker
  per model, merged position by position in the caller (LocalBackend.compare routes there).
"""

from .types import CompareLane, CompareRequest, CompareResult, CompareStep, PairDivergence, PairSummary

__all__ = ["CompareLane", "CompareRequest", "CompareResult", "CompareStep", "PairDivergence", "PairSummary"]
