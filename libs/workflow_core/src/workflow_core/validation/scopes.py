"""``analyse_types``: the envelope's shape before every step of a definition.

Walks the raw document like the interpreter runs it (SPEC sections 6 and 7),
but over shapes instead of values:

- ``transform.assign`` and ``event.wait`` write the shapes of their
  expressions (all evaluated before any write); ``action.call`` writes its
  action's output schema at ``saveAs``, ``human.task`` its form schema, a
  compute node its declared ``outputSchema``; ``state.set`` writes
  ``meta.state``. A step with ``onError: continue`` may instead write
  ``vars.lastError``.
- ``control.if``: both branches from the step's scope, narrowed by the
  condition (a branch taken when ``vars.x`` is truthy knows ``vars.x`` is
  there); they merge afterwards, a name written by one branch only being
  there on some paths.
- ``control.forEach``: the body sees ``vars[itemVar]`` typed by the items'
  array, ``vars[itemVar + "Index"]`` an integer; it runs zero or more
  times, so its scope is a fixpoint (widened to unknown after
  ``MAX_LOOP_PASSES``), and the loop variables are restored afterwards.
- ``control.tryCatch``: ``catch`` sees the merge of the scopes before every
  step of ``try`` that may fail, with ``error`` (and ``vars[captureErrorAs]``)
  set; ``error`` is null again after a completed catch.
- ``control.callWorkflow``: ``outputMapping`` reads the child's final
  envelope (unknown but for its shape of ``meta`` and ``error``).
- ``control.return``: nothing after it is reached.

Never raises on any document: what it cannot read it leaves unknown.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from workflow_core.definitions import (
    CALL_WORKFLOW,
    FOR_EACH,
    IF,
    RETURN,
    ROOT,
    TRY_CATCH,
    child_path,
    is_expr,
)
from workflow_core.expressions import ExpressionError, compile_expression
from workflow_core.redaction.pointers import format_pointer
from workflow_core.registry import Registry
from workflow_core.typeflow import (
    ANY,
    ERROR_SHAPE,
    INTEGER,
    ITEM_ERRORS_SHAPE,
    NULL,
    STRING,
    Env,
    Field,
    Presence,
    Shape,
    WriteIntoScalarError,
    array_of,
    child_final_env,
    closed_object,
    describe,
    infer,
    initial_env,
    join_all,
    join_env,
    narrowings,
    of_value,
    present,
    shape_of_schema,
    write,
)
from workflow_core.validation.write_paths import continues_on_error, parse_target

# A loop body's scope must settle: from pass WIDEN_AFTER on, what still changes
# becomes unknown (which settles at the next pass); MAX_LOOP_PASSES bounds it all.
WIDEN_AFTER = 2
MAX_LOOP_PASSES = 6
LAST_ERROR = "lastError"


@dataclass(frozen=True)
class StepScope:
    """The envelope a step sees (``event`` aside) and whether any run reaches it."""

    path: str
    step_id: str | None
    env: Env
    reachable: bool = True


class Write(NamedTuple):
    target: str  # the write path as written (vars.x, /vars/x)
    shape: Shape
    pointer: str  # of the target, relative to the step


@dataclass(frozen=True)
class WriteProblem:
    step_path: str
    pointer: str  # of the write target, relative to the step
    message: str


@dataclass
class TypeAnalysis:
    scopes: dict[str, StepScope] = field(default_factory=dict)
    write_problems: list[WriteProblem] = field(default_factory=list)
    payload_origin: str | None = None

    def scope(self, step_path: str) -> StepScope | None:
        return self.scopes.get(step_path)


def analyse_types(document: Mapping[str, Any], registry: Registry) -> TypeAnalysis:
    """The scope before every step of ``document`` (a raw definition)."""
    ref = document.get("payloadSchemaRef") if isinstance(document, Mapping) else None
    schema = registry.schemas.get(ref) if isinstance(ref, str) else None
    payload = shape_of_schema(schema, origin=ref) if schema is not None else ANY
    walker = _Walker(registry, TypeAnalysis(payload_origin=ref if schema is not None else None))
    steps = document.get("steps") if isinstance(document, Mapping) else None
    walker.pipeline(steps, ROOT, "", initial_env(payload))
    return walker.analysis


@dataclass
class _Walker:
    registry: Registry
    analysis: TypeAnalysis
    sinks: list[list[Env]] = field(default_factory=list)

    # -- pipelines ------------------------------------------------------------------
    def pipeline(self, steps: Any, parent: str, branch: str, env: Env | None) -> Env | None:
        """The scope after ``steps`` run from ``env``; None when every path returns."""
        if not isinstance(steps, list):
            return env
        live, last = env, env
        for index, raw in enumerate(steps):
            path = child_path(parent, branch, index)
            if live is None:  # dead code: analysed with the scope where the run ended
                if last is not None:
                    self._record(raw, path, last, reachable=False)
                    self._step(raw, path, last)
                continue
            last = live
            live = self._step(raw, path, live)
        return live

    def _record(self, raw: Any, path: str, env: Env, *, reachable: bool = True) -> None:
        step_id = raw.get("id") if isinstance(raw, Mapping) else None
        self.analysis.scopes[path] = StepScope(
            path, step_id if isinstance(step_id, str) else None, env, reachable
        )

    def _step(self, raw: Any, path: str, env: Env) -> Env | None:
        if path not in self.analysis.scopes or self.analysis.scopes[path].reachable:
            self._record(raw, path, env)
        if not isinstance(raw, Mapping):
            return env
        kind = raw.get("type")
        if kind == RETURN:
            return None
        if kind == IF:
            return self._if(raw, path, env)
        if kind == FOR_EACH:
            return self._for_each(raw, path, env)
        if kind == TRY_CATCH:
            return self._try_catch(raw, path, env)
        if not continues_on_error(raw):
            self._may_fail(env)
        if kind == CALL_WORKFLOW:
            mapping = raw.get("outputMapping")
            writes = self._mapping(mapping, child_final_env(), "/outputMapping", event=False)
            return self._apply(env, writes, path)
        return self._node(raw, path, env)

    def _may_fail(self, env: Env) -> None:
        if self.sinks:
            self.sinks[-1].append(env)

    # -- blocks ---------------------------------------------------------------------
    def _if(self, raw: Mapping[str, Any], path: str, env: Env) -> Env | None:
        self._may_fail(env)
        then_paths, else_paths = self._narrowings(raw.get("condition"))
        then = self.pipeline(raw.get("then"), path, "then", _narrow(env, then_paths))
        otherwise: Env | None = _narrow(env, else_paths)
        if isinstance(raw.get("else"), list):
            otherwise = self.pipeline(raw.get("else"), path, "else", otherwise)
        return join_env(then, otherwise)

    def _for_each(self, raw: Mapping[str, Any], path: str, env: Env) -> Env | None:
        self._may_fail(env)
        item_var = raw.get("itemVar")
        if not isinstance(item_var, str) or not item_var:
            return env
        items = self._expr_shape(raw.get("items"), env, event=False)
        item = items.items if items.items is not None else ANY
        tolerant = raw.get("onItemError") == "continue"
        entry = _loop_vars(env, item_var, item, path)
        end: Env | None = None
        for passes in range(MAX_LOOP_PASSES):
            end = self._body(raw.get("body"), path, entry, tolerant, item_var)
            if end is None:
                break
            following = _loop_vars(join_env(entry, end) or entry, item_var, item, path)
            if following == entry:
                break
            entry = following if passes < WIDEN_AFTER else _widen(entry, following)
        return join_env(env, _restore(end, env, item_var) if end else None)

    def _body(self, steps: Any, path: str, entry: Env, tolerant: bool, item_var: str) -> Env | None:
        if tolerant:
            self.sinks.append([])
        end = self.pipeline(steps, path, "body", entry)
        if tolerant:
            for failed in self.sinks.pop():
                errors = Field(ITEM_ERRORS_SHAPE, Presence.ALWAYS, (path,))
                end = join_env(end, _set_var(failed, item_var + "Errors", errors))
        return end

    def _try_catch(self, raw: Mapping[str, Any], path: str, env: Env) -> Env | None:
        self.sinks.append([])
        tried = self.pipeline(raw.get("try"), path, "try", env)
        failures = self.sinks.pop()
        entry: Env | None = None
        for failed in failures:
            entry = join_env(entry, failed)
        reachable = entry is not None
        entry = (entry or env).with_root("error", ERROR_SHAPE)
        captured = raw.get("captureErrorAs")
        if isinstance(captured, str) and captured:
            entry = _set_var(entry, captured, Field(ERROR_SHAPE, Presence.ALWAYS, (path,)))
        caught = self.pipeline(raw.get("catch"), path, "catch", entry)
        if not reachable:
            return tried
        return join_env(tried, caught.with_root("error", NULL) if caught else None)

    # -- node steps -----------------------------------------------------------------
    def _node(self, raw: Mapping[str, Any], path: str, env: Env) -> Env:
        config = raw.get("config")
        config = config if isinstance(config, Mapping) else {}
        after = self._apply(env, list(self._node_writes(raw, config, env)), path)
        if continues_on_error(raw):
            failed = _set_var(env, LAST_ERROR, Field(ERROR_SHAPE, Presence.ALWAYS, (path,)))
            return join_env(after, failed) or after
        return after

    def _node_writes(
        self, raw: Mapping[str, Any], config: Mapping[str, Any], env: Env
    ) -> Iterator[Write]:
        kind = raw.get("type")
        if kind == "state.set":
            state = config.get("state")
            yield Write(
                "meta.state", of_value(state) if isinstance(state, str) else STRING, "/config/state"
            )
            return
        if kind in ("transform.assign", "event.wait"):
            event = kind == "event.wait"
            yield from self._mapping(config.get("assign"), env, "/config/assign", event=event)
            return
        save_as = config.get("saveAs")
        if isinstance(save_as, str):
            yield Write(save_as, self._output(kind, config), "/config/saveAs")

    def _output(self, kind: Any, config: Mapping[str, Any]) -> Shape:
        if kind == "action.call":
            action_id, version = config.get("actionId"), config.get("version")
            spec = None
            if isinstance(action_id, str) and isinstance(version, int):
                spec = self.registry.actions.get(action_id, version)
            origin = f"the output of {action_id} v{version}"
            return shape_of_schema(spec.output_schema, origin) if spec else ANY
        if kind == "human.task":
            return self._form(config)
        spec_node = self.registry.node_types.get(kind) if isinstance(kind, str) else None
        schema = spec_node.output_schema if spec_node is not None else None
        return shape_of_schema(schema, f"the output of {kind}") if schema is not None else ANY

    def _form(self, config: Mapping[str, Any]) -> Shape:
        inline, ref = config.get("formSchema"), config.get("formSchemaRef")
        if isinstance(inline, Mapping) and not is_expr(inline):
            return shape_of_schema(inline, "the task's form")
        schema = self.registry.schemas.get(ref) if isinstance(ref, str) else None
        return shape_of_schema(schema, ref) if schema is not None else ANY

    def _mapping(self, mapping: Any, env: Env, pointer: str, *, event: bool) -> list[Write]:
        if not isinstance(mapping, Mapping):
            return []
        return [
            Write(
                str(key),
                self._value_shape(value, env, event=event),
                pointer + format_pointer([str(key)]),
            )
            for key, value in mapping.items()
        ]

    def _apply(self, env: Env, writes: list[Write], path: str) -> Env:
        """All writes of one step, after all its reads (all or nothing at run time)."""
        for target, shape, pointer in writes:
            segments, problem = parse_target(target)
            if problem is not None:
                continue  # INVALID_ASSIGN_PATH, reported by the write-path checks
            root = segments[0]
            try:
                env = env.with_root(root, write(env.root(root), segments[1:], shape, path))
            except WriteIntoScalarError as error:
                parent = ".".join(segments[: error.depth + 1])
                message = (
                    f"cannot write {target!r}: {parent} holds "
                    f"{describe(error.parent)} here, not an object or array"
                )
                self.analysis.write_problems.append(WriteProblem(path, pointer, message))
        return env

    # -- expressions ----------------------------------------------------------------
    def _value_shape(self, value: Any, env: Env, *, event: bool) -> Shape:
        if is_expr(value):
            return self._expr_shape(value, env, event=event)
        if isinstance(value, Mapping):
            return closed_object(
                {str(k): self._value_shape(v, env, event=event) for k, v in value.items()}
            )
        if isinstance(value, list):
            return array_of(join_all(self._value_shape(v, env, event=event) for v in value))
        return of_value(value)

    def _expr_shape(self, value: Any, env: Env, *, event: bool) -> Shape:
        if not is_expr(value):
            return of_value(value) if value is not None else ANY
        try:
            compiled = compile_expression(value["$expr"])
        except ExpressionError:
            return ANY
        return infer(compiled.ast, env.context(event=event))

    def _narrowings(self, condition: Any) -> tuple[list[list[str]], list[list[str]]]:
        if not is_expr(condition):
            return [], []
        try:
            compiled = compile_expression(condition["$expr"])
        except ExpressionError:
            return [], []
        return narrowings(compiled.ast)


def _set_var(env: Env, name: str, value: Field) -> Env:
    variables = env.vars
    if variables.obj is None:
        return env
    return env.with_root("vars", Shape(obj=variables.obj.with_field(name, value), origin="vars"))


def _loop_vars(env: Env, item_var: str, item: Shape, path: str) -> Env:
    env = _set_var(env, item_var, Field(item, Presence.ALWAYS, (path,)))
    return _set_var(env, item_var + "Index", Field(INTEGER, Presence.ALWAYS, (path,)))


def _restore(end: Env, before: Env, item_var: str) -> Env:
    """The loop variables get back what they held before the loop (or go)."""
    if end.vars.obj is None or before.vars.obj is None:
        return end
    variables = end.vars.obj
    for name in (item_var, item_var + "Index"):
        previous = before.vars.obj.get(name)
        variables = variables.with_field(name, previous) if previous else variables.without(name)
    return end.with_root("vars", Shape(obj=variables, origin="vars"))


def _widen(entry: Env, following: Env) -> Env:
    """Vars still changing after the last pass become unknown."""
    if entry.vars.obj is None or following.vars.obj is None:
        return following
    variables = following.vars.obj
    for name, value in following.vars.obj.fields:
        if entry.vars.obj.get(name) != value:
            variables = variables.with_field(name, Field(ANY, value.presence, value.writers))
    return following.with_root("vars", Shape(obj=variables, origin="vars"))


def _narrow(env: Env, paths: list[list[str]]) -> Env:
    """Paths a branch's condition proved to be there are there in that branch."""
    for names in paths:
        if names and names[0] in ("payload", "vars", "meta", "error"):
            env = env.with_root(names[0], present(env.root(names[0]), names[1:]))
    return env
