"""The same sessions without a browser: Streamlit's own websocket protocol, nothing rendered.

On a 2-core machine 30 Chromium tabs drawing Vega charts take most of the CPU, so the browser
sessions measure the test machine's browsers as much as the server. These clients speak the
protocol the browser speaks (protobuf BackMsg/ForwardMsg over `/_stcore/stream`): each opens a
session with `/profile?la=<code>`, then sends the rerun the browser sends when the LA picker
changes (the picker's widget state set to the new LA's label) and waits for the run's
`script_finished`. What they time is the server alone, as a browser on its own machine would
receive it: from sending the change to the last message of the run. A switch counts as good only
if the run carried the trajectory chart titled with the new LA's name and no exception element.

When the connection drops (a replica killed behind nginx), a client reconnects as Streamlit's own
does: a new websocket, the page of its URL run again (on whichever replica nginx chooses), then the
pick it was making. That switch is timed from the pick to the end of its run, reconnection included,
and marked `moved`.
"""

from __future__ import annotations

import asyncio
import time

from websockets.exceptions import ConnectionClosed, InvalidHandshake

from bench.sessions import SOFT_LIMIT_S, Outcome

PICKER_LABEL = "Local authority"
# A dropped connection (a replica killed behind nginx) or one refused while nginx finds another
RECONNECT_ERRORS = (ConnectionClosed, InvalidHandshake, OSError)
RECONNECT_TRIES = 5
RECONNECT_WAIT_S = 0.5  # before the first attempt, then 1 s, 1.5 s… (at most 2 s), like the browser's backoff


class GaveUp(RuntimeError):
    """Every reconnection attempt failed: the session ends with an error."""


class ProtocolSession(Outcome):
    """One person, as a websocket client: the session's page, query string and picker."""

    def __init__(self, index: int, plan: list[tuple[str, str]], seed: int, think: tuple[float, float]) -> None:
        super().__init__(index, plan, seed, think)
        self.page_hash = ""
        self.query = ""
        self.picker_id: str | None = None
        self.picker_labels: list[str] = []
        self.reconnects: list[dict] = []  # each time the connection dropped and was opened again

    async def rerun(self, ws, base: str, widgets: list | None = None) -> tuple[list[bytes], str | None]:
        """Send one rerun; return the raw messages of the run and an error (or None)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        back = BackMsg()
        state = back.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page_hash
        state.page_name = "" if self.page_hash else "profile"
        state.context_info.url = f"{base}/profile?{self.query}"
        state.context_info.timezone = "Europe/London"
        state.context_info.locale = "en-GB"
        for widget in widgets or []:
            state.widget_states.widgets.append(widget)
        await ws.send(back.SerializeToString())
        raw, error = [], None
        while True:
            data = await asyncio.wait_for(ws.recv(), timeout=SOFT_LIMIT_S * 4)
            raw.append(data)
            msg = ForwardMsg.FromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = msg.new_session.page_script_hash
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                which = element.WhichOneof("type")
                if which == "selectbox" and element.selectbox.label == PICKER_LABEL:
                    self.picker_id, self.picker_labels = element.selectbox.id, list(element.selectbox.options)
                elif which == "exception":
                    error = f"exception: {element.exception.type}: {element.exception.message[:300]}"
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    return raw, error
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    return raw, error or "script finished with a compile error"
                # FINISHED_EARLY_FOR_RERUN: the server started another run; keep reading

    def judge_run(self, raw: list[bytes], error: str | None, name: str, what: str) -> bool:
        if error:
            self.error(what, error)
            return False
        # The trajectory chart (its on-screen title) and the LA's name in the run's messages: the
        # page heading and the chart's data both carry the name.
        title, named = b"Good level of development against the 2028 target", name.encode()
        if not (any(title in data for data in raw) and any(named in data for data in raw)):
            self.error(what, "the run finished without the trajectory chart for this LA")
            return False
        return True

    async def connect(self, url: str):
        from websockets.asyncio.client import connect

        return await connect(
            url,
            subprotocols=["streamlit"],
            additional_headers={"X-Bench-Session": str(self.index)},
            max_size=None,
            open_timeout=SOFT_LIMIT_S * 4,
        )

    async def reconnect(self, url: str, base: str, lost: float):
        """Open a new websocket and run the page of the session's URL, as Streamlit's client does
        when its connection drops (behind nginx the new one may reach another replica, which starts
        a new session). Returns the socket; raises when RECONNECT_TRIES attempts all fail."""
        for attempt in range(1, RECONNECT_TRIES + 1):
            await asyncio.sleep(min(RECONNECT_WAIT_S * attempt, 2.0))
            ws = None
            try:
                ws = await self.connect(url)
                raw, error = await self.rerun(ws, base)
            except RECONNECT_ERRORS:
                if ws is not None:
                    await ws.close()
                continue
            self.reconnects.append({"at": lost, "seconds": time.time() - lost, "attempts": attempt, "error": error})
            return ws
        # Not an OSError (which the caller would take for another dropped connection and retry).
        raise GaveUp(f"could not reconnect in {RECONNECT_TRIES} attempts")

    async def run(self, base: str, start: asyncio.Event) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        url = base.replace("http://", "ws://") + "/_stcore/stream"
        await start.wait()
        (code, name), rest = self.plan[0], self.plan[1:]
        self.query = f"la={code}"
        began = time.time()
        ws = None
        try:
            ws = await self.connect(url)
            raw, error = await self.rerun(ws, base)
            if self.judge_run(raw, error, name, f"first load of {name}"):
                self.first_load = time.time() - began
            for code, name in rest:
                await asyncio.sleep(self.rng.uniform(*self.think))
                pick, moved = time.time(), False
                while True:
                    try:
                        if ws is None:
                            ws, moved = await self.reconnect(url, base, time.time()), True
                        label = next((x for x in self.picker_labels if f"({code} " in x), None)
                        if self.picker_id is None or label is None:
                            raw, error = [], "the LA picker was not on the page"
                        else:
                            widget = WidgetState(id=self.picker_id, string_value=label)
                            raw, error = await self.rerun(ws, base, [widget])
                        break
                    except TimeoutError:  # before OSError, of which it is a kind
                        raw, error = None, f"no end of run within {SOFT_LIMIT_S * 4} s"
                        break
                    except RECONNECT_ERRORS:  # the replica went away: reconnect and pick again
                        ws = None
                if raw is None or not raw:
                    self.error(f"switch to {name}", error)
                    self.switches.append({"good": False, "code": code, "name": name})
                    continue
                done = time.time()
                result = {"pick": pick, "doneAt": done * 1000, "total_s": done - pick, "code": code, "name": name}
                result["moved"] = moved
                result["good"] = self.judge_run(raw, error, name, f"switch to {name}")
                if result["good"] and result["total_s"] > SOFT_LIMIT_S:
                    self.error(f"switch to {name}", f"slow: {result['total_s']:.0f} s (over {SOFT_LIMIT_S} s)")
                    result["good"] = False
                self.switches.append(result)
        except Exception as error:  # noqa: BLE001 - a failure is an error to count, not a crash
            self.error(
                f"session {self.index}", f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            )
        finally:
            if ws is not None:
                await ws.close()


async def run_protocol(base: str, plans: list[list[tuple[str, str]]], seed: int, think, on_start, on_end) -> dict:
    people = [ProtocolSession(index, plan, seed, think) for index, plan in enumerate(plans)]
    start = asyncio.Event()
    tasks = [asyncio.create_task(person.run(base, start)) for person in people]
    await asyncio.sleep(0.2)
    began = on_start()
    start.set()
    await asyncio.gather(*tasks)
    ended = on_end()
    return {"people": people, "began": began, "ended": ended}
