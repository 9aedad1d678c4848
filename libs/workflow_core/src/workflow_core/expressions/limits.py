"""Evaluation limits: the deterministic budget and the optional wall-clock backstop.

The numbers are sized for help-desk envelopes (a payload of a few KB up to a
few hundred KB) with ample headroom; at roughly 2.5 us per
evaluated node (measured on jsonata-python 0.7.1 here), exhausting the work
budget takes about 60 ms, so a runaway expression stops well under a second
even without a clock, even on a loaded machine.
"""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True, slots=True)
class ExpressionLimits:
    """Caps applied to one evaluation of one expression.

    - ``max_work_units``: one unit per evaluated AST node, one per built-in call
      plus one per 8 array items it receives (built-ins loop natively).
      A 500-value payload filtered by a 10-node predicate costs ~5k units;
      x5 headroom = 25k, about 60 ms at ~2.5 us/unit.
    - ``max_items``: array items produced, summed over every node and built-in
      result (ranges are lazy, so ``[1..9999999]`` is stopped before it is
      materialised). 100k items x ~1 us = ~0.1 s.
    - ``max_depth``: nesting of node evaluations; plain JSONata without user
      functions nests about as deep as the source, 200 leaves room for any
      hand-written expression while keeping far from Python's stack limit
      (~6 Python frames per level).
    - ``max_output_bytes``: compact UTF-8 JSON of the result (SPEC: 256 KiB).
    - ``max_string_chars`` / ``max_total_string_chars``: one string, and all
      strings built during the evaluation; stops multi-MB string builds
      (``$pad``, ``$join``, ``&``) before they are allocated where the size is
      knowable, right after otherwise.
    - ``max_regex_input_chars``: length of a string a regex is run on. Python's
      ``re`` cannot be interrupted, so super-linear patterns are only bounded
      by bounding their input (32 KiB covers a long email body).
    - ``wall_clock_ms``: backstop used only when the caller injects a clock;
      its outcome (``TIMED_OUT``) is not deterministic and must be recorded.
    """

    max_work_units: int = 25_000
    max_items: int = 100_000
    max_depth: int = 200
    max_output_bytes: int = 256 * KIB
    max_string_chars: int = 1 * MIB
    max_total_string_chars: int = 8 * MIB
    max_regex_input_chars: int = 32 * KIB
    wall_clock_ms: int = 25


DEFAULT_LIMITS = ExpressionLimits()
