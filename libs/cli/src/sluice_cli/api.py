"""The operator commands' way to the API: one HTTP client, one error rule, one exit code rule.

Every command that talks to the API (``sluice runs|events|tasks``, ``sluice
definitions export|apply``) is declared with :func:`api_command`, which adds
``--api``, ``--token`` and ``--output`` and turns every failure into one line on
stderr and an exit code scripts can trust:

====  ==============================================================================
code  meaning
====  ==============================================================================
0     done
1     the API refused the request (4xx: bad token, role too low, unknown id, invalid
      input, a conflict), or ``definitions validate|apply`` found errors in a file
2     usage: a missing or malformed option or argument (nothing was sent)
3     the API could not be reached or failed (connection refused, timeout, 5xx,
      an answer that is not JSON)
====  ==============================================================================

A problem document (``application/problem+json``: ``{status, code, detail,
errors?: [{pointer, message}]}``) is printed as
``sluice runs cancel: error: 422 VALIDATION_FAILED: <detail> [/reason: Field required]``
(the pointers not already named in the detail are added in brackets).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, ParamSpec, TypeVar

import click
import httpx

from sluice_cli.table import Column, echo_table

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
TIMEOUT_S = 30.0
OUTPUTS = ("table", "json")
P = ParamSpec("P")
R = TypeVar("R")


class ApiError(Exception):
    """A request that did not succeed: the line to print and the exit code."""

    def __init__(self, message: str, exit_code: int, problem: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.problem = problem


def problem_line(status: int, body: Any) -> str:
    """One line from a problem document (or whatever the error body was)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("detail"), str):
        text = body if isinstance(body, str) else json.dumps(body)
        return f"{status}: {' '.join(str(text).split())[:500] or 'no detail'}"
    detail = " ".join(body["detail"].split())
    code = body.get("code")
    found = body.get("errors")
    items: list[Any] = found if isinstance(found, list) else []
    unnamed = [
        f"{item.get('pointer') or '/'}: {item.get('message')}"
        for item in items
        if isinstance(item, Mapping) and f"{item.get('pointer') or '/'}:" not in detail
    ]
    extra = f" [{'; '.join(unnamed)}]" if unnamed else ""
    return f"{status} {code}: {detail}{extra}" if code else f"{status}: {detail}{extra}"


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


class ApiClient:
    """A bearer-token client of one API; every method returns parsed JSON or raises
    :class:`ApiError`."""

    def __init__(
        self, base_url: str, token: str, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, timeout=TIMEOUT_S, transport=transport,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json",
                     "User-Agent": "sluice-cli"},
        )  # fmt: skip

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        send_body: bool = False,
    ) -> httpx.Response:
        """The response of a 2xx answer; anything else raises :class:`ApiError`."""
        content = None
        sent = dict(headers or {})
        if send_body or body is not None:
            content = json.dumps(body, ensure_ascii=False).encode()
            sent["Content-Type"] = "application/json"
        try:
            response = self._http.request(
                method, path, params=_query(params), content=content, headers=sent
            )
        except httpx.TimeoutException:
            raise ApiError(
                f"the API at {self.base_url} did not answer within {TIMEOUT_S:.0f} s "
                f"({method} {path})", EXIT_UNAVAILABLE,
            ) from None  # fmt: skip
        except httpx.HTTPError as exc:
            raise ApiError(
                f"cannot reach the API at {self.base_url}: {exc} (is it running? --api or "
                "WF_API_URL names it)", EXIT_UNAVAILABLE,
            ) from None  # fmt: skip
        if response.is_success:
            return response
        body_read = _body(response)
        code = EXIT_REFUSED if 400 <= response.status_code < 500 else EXIT_UNAVAILABLE
        problem = body_read if isinstance(body_read, Mapping) else None
        raise ApiError(problem_line(response.status_code, body_read), code, problem)

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ApiError(
                f"the API answered {method} {path} with {response.status_code} but not JSON "
                f"({response.headers.get('content-type', 'no content type')}): is --api the "
                "Sluice API?", EXIT_UNAVAILABLE,
            ) from None  # fmt: skip

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.json("GET", path, params=params)

    def post(self, path: str, body: Any = None, *, send_body: bool = True) -> Any:
        return self.json("POST", path, body=body, send_body=send_body)

    def pages(
        self,
        path: str,
        params: Mapping[str, Any],
        *,
        follow: bool,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[list[Any], str | None]:
        """One page (``follow`` false) or every page, following ``nextCursor``; the items
        and the cursor of the page after the last one read (None when there is none)."""
        items: list[Any] = []
        cursor = params.get("cursor")
        while True:
            page = self.get(path, {**params, "cursor": cursor})
            items.extend(page.get("items", []))
            cursor = page.get("nextCursor")
            if progress is not None and follow:
                progress(len(items))
            if not follow or not cursor:
                return items, cursor


def _query(params: Mapping[str, Any] | None) -> httpx.QueryParams:
    """Query parameters without the unset ones; a list is a repeated parameter."""
    pairs: list[tuple[str, str | int | float | bool | None]] = []
    for name, value in (params or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((name, _text(v)) for v in values if v is not None)
    return httpx.QueryParams(pairs)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@dataclass(frozen=True)
class ApiContext:
    """What an API command got from its shared options."""

    command: str  # "runs list", for error lines
    client: ApiClient
    output: str  # "table" or "json"

    def fail(self, message: str, exit_code: int = EXIT_REFUSED) -> NoReturn:
        raise ApiError(message, exit_code)


def exit_with(command: str, failure: ApiError) -> NoReturn:
    click.echo(f"sluice {command}: error: {failure.message}", err=True)
    sys.exit(failure.exit_code)


def api_command(func: Callable[..., None]) -> Callable[..., None]:
    """Add ``--api``, ``--token`` and ``--output`` to a click command; the function gets
    an :class:`ApiContext` as ``api`` and any :class:`ApiError` it raises becomes the
    error line and exit code above."""

    @click.option(
        "--api", "api_url", default=None, metavar="URL",
        help="the Sluice API [default: WF_API_URL, else http://WF_API_HOST:WF_API_PORT]",
    )  # fmt: skip
    @click.option(
        "--token", default=None, help="bearer token [default: WF_API_TOKEN]; see `sluice tokens`"
    )
    @click.option(
        "--output", "-o", "output", type=click.Choice(OUTPUTS), default="table",
        show_default=True, help="table for people (fits the terminal), json for scripts",
    )  # fmt: skip
    @functools.wraps(func)
    def wrapper(api_url: str | None, token: str | None, output: str, **kwargs: Any) -> None:
        context = click.get_current_context()
        command = context.command_path.removeprefix(context.find_root().info_name or "").strip()
        client = _client(command, api_url, token)
        try:
            func(api=ApiContext(command=command, client=client, output=output), **kwargs)
        except ApiError as failure:
            exit_with(command, failure)
        finally:
            client.close()

    return wrapper


def _client(command: str, api_url: str | None, token: str | None) -> ApiClient:
    from pydantic import ValidationError
    from sluice_config import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        exit_with(command, ApiError(f"bad settings: {exc}", EXIT_USAGE))
    secret = token or (settings.api_token.get_secret_value() if settings.api_token else None)
    if not secret:
        exit_with(command, ApiError(
            "no API token: pass --token or set WF_API_TOKEN (`sluice tokens create` makes one)",
            EXIT_USAGE,
        ))  # fmt: skip
    url = api_url or settings.api_base_url
    if not url.startswith(("http://", "https://")):
        exit_with(command, ApiError(f"--api must be an http(s) URL, not {url!r}", EXIT_USAGE))
    return ApiClient(url, secret)


def parse_json_option(text: str, what: str) -> Any:
    """A JSON value given inline, as ``@file`` or as ``-`` (stdin); bad JSON is a usage
    error naming the option."""
    source = text
    try:
        if text == "-":
            source = sys.stdin.read()
        elif text.startswith("@"):
            with open(text[1:], encoding="utf-8") as handle:
                source = handle.read()
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read {text[1:]}: {exc.strerror}", param_hint=what
        ) from None
    try:
        return json.loads(source)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=what) from None


def echo_json(document: Any) -> None:
    """One JSON document on stdout (scripts parse it whole)."""
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


class Progress:
    """``fetched 1500 runs`` on stderr after each page of ``--all`` (in place on a terminal)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.interactive = sys.stderr.isatty()
        self.shown = False

    def __call__(self, count: int) -> None:
        self.shown = True
        if self.interactive:
            click.echo(f"\rfetched {count} {self.what}...", err=True, nl=False)
        else:
            click.echo(f"fetched {count} {self.what}", err=True)

    def finish(self) -> None:
        if self.shown and self.interactive:
            click.echo("", err=True)


def paging_options(what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``--limit`` (page size), ``--cursor`` and ``--all`` (as ``follow``) of a list."""

    def add(func: Callable[P, R]) -> Callable[P, R]:
        for option in reversed((
            click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True,
                         help=f"{what} per page"),
            click.option("--cursor", help="continue from a page's nextCursor"),
            click.option("--all", "follow", is_flag=True,
                         help="every page, following the cursors"),
        )):  # fmt: skip
            func = option(func)
        return func

    return add


def echo_page(
    api: ApiContext,
    path: str,
    params: Mapping[str, Any],
    *,
    follow: bool,
    what: str,
    columns: Sequence[Column],
) -> None:
    """One page (or, ``follow``, all of them) as a table, or as one JSON document
    ``{items, nextCursor}``; the next page's cursor, if any, on stderr."""
    progress = Progress(what)
    items, next_cursor = api.client.pages(path, params, follow=follow, progress=progress)
    progress.finish()
    if api.output == "json":
        echo_json({"items": items, "nextCursor": next_cursor})
        return
    if items:
        echo_table(columns, items)
    else:
        click.echo(f"no {what}", err=True)
    if next_cursor:
        click.echo(f"more {what}: --cursor {next_cursor} (or --all)", err=True)
