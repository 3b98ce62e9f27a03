"""Generated ensemble files for the language server benchmarks, and the edits made to them."""

from __future__ import annotations

PROFILES = """\
model_profiles:
  fake:
    provider: scripted
    model: fake-model
    options: {reply: "{agent} says hi"}
  slow:
    provider: scripted
    model: slow-model
    options:
      latency_seconds: %(latency)s
      chunks: %(chunks)d
      reply: "%(reply)s"
  tokens:
    provider: scripted
    model: token-model
    options:
      latency_seconds: %(stream_latency)s
      chunks: %(stream_pieces)d
      reply: "%(stream_reply)s"
"""

ERRORS = 3
"""Every generated ensemble has this many errors: an unknown key, a missing dependency and an
unknown profile, so the diagnostics published on every edit are non-empty."""


def profiles(
    latency: float, chunks: int, *, stream_latency: float = 2.0, stream_pieces: int = 400
) -> str:
    """`.llm-orc/config.yaml`: `fake` answers at once; `slow` streams CHUNKS pieces over LATENCY;
    `tokens` streams STREAM_PIECES pieces (a few characters each) over STREAM_LATENCY."""
    reply = "{agent} " + "streams a few more words " * 8
    stream_reply = "{agent} " + "tok " * stream_pieces
    return PROFILES % {
        "latency": latency,
        "chunks": chunks,
        "reply": reply.strip(),
        "stream_latency": stream_latency,
        "stream_pieces": stream_pieces,
        "stream_reply": stream_reply.strip(),
    }


def ensemble(agents: int, name: str = "generated") -> str:
    """An ensemble of AGENTS agents (at least 10) in a DAG: agent i depends on one or two of the
    ten before it, and three agents carry the errors of `ERRORS`."""
    unknown_key, missing_dependency, unknown_profile = agents // 4, agents // 2, 3 * agents // 4
    lines = [f"name: {name}", f"description: {agents} generated agents", "agents:"]
    for i in range(agents):
        profile = "fasst" if i == unknown_profile else "fake"
        lines += [f"  - name: agent-{i}", f"    model_profile: {profile}"]
        lines.append(f'    system_prompt: "You are agent {i}. Version 0."')
        if i == unknown_key:
            lines.append("    temprature: 0.3")
        deps = [f"agent-{j}" for j in sorted({i - 1, i - 1 - (i * 7) % 10}) if 0 <= j < i]
        if i == missing_dependency:
            deps.append("ghost")
        if deps:
            lines.append(f"    depends_on: [{', '.join(deps)}]")
    return "\n".join(lines) + "\n"


def runnable(agents: int, name: str, profile: str) -> str:
    """A valid ensemble: AGENTS independent agents on PROFILE, then one that depends on them all."""
    lines = [f"name: {name}", "agents:"]
    for i in range(agents):
        lines += [f"  - name: worker-{i}", f"    model_profile: {profile}"]
    workers = ", ".join(f"worker-{i}" for i in range(agents))
    lines += ["  - name: summary", f"    model_profile: {profile}", f"    depends_on: [{workers}]"]
    return "\n".join(lines) + "\n"


def parallel(agents: int, name: str, profile: str) -> str:
    """A valid ensemble: AGENTS independent agents on PROFILE (they all stream at once)."""
    lines = [f"name: {name}", "agents:"]
    for i in range(agents):
        lines += [f"  - name: writer-{i}", f"    model_profile: {profile}"]
    return "\n".join(lines) + "\n"


def edit_line(text: str) -> int:
    """The line the edits touch: the system prompt of the middle agent."""
    lines = text.splitlines()
    prompts = [n for n, line in enumerate(lines) if line.startswith("    system_prompt:")]
    return prompts[len(prompts) // 2]
