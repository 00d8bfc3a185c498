"""The grader's wire: the plain-data codec, sync/changes of mutable arguments, and the two-way Channel."""

import json
import socket
import struct
import threading
import time
import tracemalloc

import numpy as np
import pytest

from grading.sandbox.inside import wire

# ---------------------------------------------------------------- helpers


def _no_function(*args):
    raise AssertionError(f"no function reference expected here: {args!r}")


def roundtrip(value):
    """encode -> JSON text -> decode, as a value travels (no functions inside)."""
    buffers = []
    tree = wire.encode(value, buffers, lambda f: None, _no_function)
    tree = json.loads(json.dumps(tree))
    return wire.decode(tree, [memoryview(b) for b in buffers], _no_function)


def _serve(channel):
    """Side B's loop: answer every call until the channel breaks."""
    try:
        while True:
            header, buffers = channel.receive()
            channel.answer(header, buffers)
    except wire.WireError:
        pass


@pytest.fixture
def connect():
    """connect(functions of B, ...) -> (channel A, channel B); B answers calls in a thread over a socketpair."""
    made = []

    def make(functions, a_name_of=lambda f: None):
        sa, sb = socket.socketpair()
        a = wire.Channel(sa, local=_no_function, name_of=a_name_of)
        b = wire.Channel(sb, local=lambda name: functions[name])
        a.deadline = time.monotonic() + 60  # a broken channel fails the test instead of hanging it
        thread = threading.Thread(target=_serve, args=(b,), daemon=True)
        thread.start()
        made.append((sa, sb, thread))
        return a, b

    yield make
    for sa, sb, thread in made:
        sa.close()
        thread.join(10)
        sb.close()


@pytest.fixture
def raw_pair():
    """Two connected sockets: (channel A, B's bare socket)."""
    sa, sb = socket.socketpair()
    yield wire.Channel(sa, local=_no_function), sb
    sa.close()
    sb.close()


class Plain:
    pass


# ---------------------------------------------------------------- codec: round trips


def test_roundtrip_keeps_container_types_and_key_types():
    """Tuples stay tuples, lists lists; int, float, tuple and str keys keep their types."""
    value = {"t": (1, 2, (3,)), "l": [1, [2]], 3: "int key", (1, "a"): None, 2.5: True, "e": ((), [], {})}
    back = roundtrip(value)
    assert back == value
    assert type(back["t"]) is tuple and type(back["t"][2]) is tuple
    assert type(back["l"]) is list and type(back["l"][1]) is list
    assert [type(k) for k in back] == [str, str, int, tuple, float, str]
    assert type(back["e"][0]) is tuple and type(back["e"][1]) is list and type(back["e"][2]) is dict


def test_roundtrip_keeps_scalar_kinds():
    """np.float64 scalar, 0-d array and Python float stay distinct; ints and bools keep their exact types."""
    values = [1.5, np.float64(1.5), np.array(1.5), np.int32(-7), np.uint8(200), np.bool_(True), True, 7, 10**30,
              "text", None]
    back = roundtrip(values)
    assert [type(v) for v in back] == [type(v) for v in values]
    assert back[2].ndim == 0 and back[2].dtype == np.float64
    assert back[3] == -7 and back[4] == 200 and back[8] == 10**30 and back[9] == "text"


def test_roundtrip_nan_and_infinities():
    back = roundtrip([float("nan"), float("inf"), -float("inf"), -0.0, np.array([np.nan, np.inf])])
    assert np.isnan(back[0]) and back[1] == float("inf") and back[2] == -float("inf")
    assert str(back[3]) == "-0.0"
    assert np.isnan(back[4][0]) and back[4][1] == np.inf


@pytest.mark.parametrize("dtype", ["bool", "int8", "int64", "uint16", "uint64", "float16", "float32", "float64", ">f8"])
@pytest.mark.parametrize("shape", [(0,), (5,), (2, 3), (2, 0, 3)])
def test_roundtrip_arrays_keep_dtype_shape_and_values(dtype, shape):
    array = (np.arange(np.prod(shape)) % 3).astype(dtype).reshape(shape)
    back = roundtrip(array)
    assert type(back) is np.ndarray
    assert back.dtype == np.dtype(dtype) and back.shape == shape
    np.testing.assert_array_equal(back, array)


def test_roundtrip_non_contiguous_arrays_and_writeable_copy():
    """Transposed and strided arrays arrive with their logical values; the result is writeable."""
    base = np.arange(12.0).reshape(3, 4)
    back = roundtrip([base.T, base[:, ::2], np.asfortranarray(base)])
    np.testing.assert_array_equal(back[0], base.T)
    np.testing.assert_array_equal(back[1], base[:, ::2])
    np.testing.assert_array_equal(back[2], base)
    back[0][0, 0] = 99.0  # a decoded array is the receiver's own
    assert back[0][0, 0] == 99.0


def test_int_enum_travels_as_plain_int():
    import enum

    class Size(enum.IntEnum):
        BIG = 3

    back = roundtrip(Size.BIG)
    assert back == 3 and type(back) is int


def test_functions_travel_by_name_or_handle():
    """name_of's name travels as a name; any other callable is registered and travels as a handle."""
    def named():
        pass

    def other():
        pass

    registered = []
    buffers = []
    tree = wire.encode([named, other], buffers, lambda f: "api.named" if f is named else None,
                       lambda f: registered.append(f) or len(registered))
    assert registered == [other]
    seen = []
    back = wire.decode(json.loads(json.dumps(tree)), [], lambda *ref: seen.append(ref) or ref)
    assert seen == [("n", "api.named", None), ("h", None, 1)]
    assert back == [("n", "api.named", None), ("h", None, 1)]


# ---------------------------------------------------------------- codec: refusals


@pytest.mark.parametrize("value, named", [
    (np.array([1, "a"], dtype=object), "object"),
    (Plain(), "Plain"),
    (b"bytes", "bytes"),
    ({1, 2}, "set"),
    (frozenset(), "frozenset"),
    (1j, "complex"),
    (np.array([1j]), "complex128"),
    (np.array(["a"]), "<U1"),
    ([1, {"deep": [b"x"]}], "bytes"),
])
def test_encode_refuses_what_is_not_plain_data(value, named):
    with pytest.raises(wire.WireError, match=named):
        wire.encode(value, [], lambda f: None, lambda f: 1)


def test_encode_refuses_too_deep_nesting():
    value = []
    for _ in range(60):
        value = [value]
    with pytest.raises(wire.WireError, match="nested"):
        wire.encode(value, [], lambda f: None, lambda f: 1)


def _deep_tree(levels):
    tree = ["l", []]
    for _ in range(levels):
        tree = ["l", [tree]]
    return tree


EIGHT_BYTES = [memoryview(bytes(8))]


@pytest.mark.parametrize("tree", [
    ["a", "|O", [1], 0],          # object dtype
    ["a", "<c16", [1], 0],        # complex
    ["a", "<U2", [1], 0],         # strings
    ["a", "<M8[s]", [1], 0],      # datetimes
    ["a", "V8", [1], 0],          # raw bytes
    ["a", "<f8", [-1], 0],        # negative shape
    ["a", "<f8", [1.0], 0],       # non-integer shape
    ["a", "<f8", [2], 0],         # 16 bytes claimed, 8 given
    ["a", "<i2", [1], 0],         # 2 bytes claimed, 8 given
    ["s", "<f8", [2], 0],         # a scalar with the wrong size
    ["z", 1],                     # unknown kind
    ["h", "not a number"],        # a handle that is no number
    ["d", [[["l", []], 1]]],      # unhashable key
    [], 3.5, {"a": 1}, [1, 2],    # not a tree at all
    _deep_tree(60),               # too deep
], ids=lambda t: json.dumps(t)[:30])
def test_decode_refuses_malformed_trees(tree):
    with pytest.raises(wire.WireError):
        wire.decode(tree, EIGHT_BYTES, _no_function)


@pytest.mark.parametrize("tree", [
    ["a", "no such dtype", [1], 0],   # np.dtype() raises TypeError
    ["a", "<f8", [1], 5],             # buffer index out of range: IndexError
    ["a", "<f8", 8, 0],               # shape not a list: TypeError
    ["f"],                            # float with no text: IndexError
    ["f", "abc"],                     # float text that is no number: ValueError
    ["d", [[1]]],                     # a dict item that is not a pair: ValueError
], ids=lambda t: json.dumps(t))
def test_decode_refuses_malformed_trees_with_wire_error(tree):
    with pytest.raises(wire.WireError):
        wire.decode(tree, EIGHT_BYTES, _no_function)


# ---------------------------------------------------------------- changes and sync


def test_changes_reports_added_replaced_deleted_and_small_arrays_changed_in_place():
    same, inplace, big = np.zeros(3), np.zeros(3), np.zeros(wire._SMALL // 8 + 1)
    d = {"same": same, "inplace": inplace, "big": big, "n": 1, "gone": 2, "kept": "k"}
    before = wire._shallow(d)
    inplace[0] = 1.0
    d["n"] = 5
    d["new"] = [1]
    del d["gone"]
    kind, changed, deleted = wire.changes(before, d)
    assert kind == "changed"
    assert set(changed) == {"inplace", "big", "n", "new"}  # large arrays always travel
    assert changed["inplace"] is inplace and changed["n"] == 5
    assert deleted == ["gone"]


def test_sync_applies_dict_changes_updating_arrays_in_place():
    W, b = np.zeros((2, 2)), np.zeros(2)
    original = {"W": W, "b": b, "gone": 1, "n": 0}
    wire.sync(original, ("changed", {"W": np.ones((2, 2)), "b": np.ones(3), "n": 1, "new": "x"}, ["gone"]))
    assert original["W"] is W and np.array_equal(W, np.ones((2, 2)))
    assert original["b"] is not b and original["b"].shape == (3,)  # another shape: replaced, not copied into
    assert original == {"W": W, "b": original["b"], "n": 1, "new": "x"}


def test_sync_plain_dict_replaces_contents_and_keeps_array_objects():
    W = np.zeros(2)
    original = {"W": W, "gone": 1}
    wire.sync(original, {"W": np.array([1.0, 2.0]), "new": 3})
    assert set(original) == {"W", "new"} and original["W"] is W and list(W) == [1.0, 2.0]


def test_sync_dict_does_not_cast_an_array_of_another_dtype():
    W = np.zeros(2, dtype=np.int64)
    original = {"W": W}
    wire.sync(original, {"W": np.array([0.5, 1.5])})
    assert original["W"].dtype == np.float64 and list(original["W"]) == [0.5, 1.5]


def test_sync_list_same_length_updates_elements_in_place():
    a, inner = np.zeros(2), {"k": 1}
    original = [a, inner, 1, [0]]
    wire.sync(original, [np.ones(2), {"k": 2}, "one", [0, 1]])
    assert original[0] is a and list(a) == [1.0, 1.0]
    assert original[1] is inner and inner == {"k": 2}
    assert original[2:] == ["one", [0, 1]]


def test_sync_list_of_another_length_is_replaced():
    original = [1, 2, 3]
    wire.sync(original, [4])
    assert original == [4]


def test_sync_array_in_place_and_read_only_left_alone():
    a = np.zeros(3)
    wire.sync(a, np.arange(3.0))
    assert list(a) == [0.0, 1.0, 2.0]
    frozen = np.zeros(3)
    frozen.flags.writeable = False
    wire.sync(frozen, np.ones(3))
    assert list(frozen) == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("new", [np.ones(5), np.array([0.5, 1.5, 2.5])], ids=["other shape", "other dtype"])
def test_sync_list_element_replaced_by_another_array(new):
    original = [np.zeros(3, dtype=np.int64)]
    wire.sync(original, [new])
    assert original[0].dtype == new.dtype and np.array_equal(original[0], new)


# ---------------------------------------------------------------- the channel


def test_send_and_receive_frame_header_and_buffers(raw_pair):
    a, sb = raw_pair
    b = wire.Channel(sb, local=_no_function)
    big = bytes(range(256)) * 5000  # over 1 MiB: sent in pieces, so from a thread
    thread = threading.Thread(target=b.send, args=({"op": "x", "n": [1, 2]}, [b"abc", b"", big]))
    thread.start()
    header, buffers = a.receive()
    thread.join()
    assert header == {"op": "x", "n": [1, 2]}
    assert [bytes(m) for m in buffers] == [b"abc", b"", big]


def test_call_syncs_mutations_and_serves_callbacks(connect):
    """B mutates A's dict (adds, deletes, changes arrays in place) and calls back A's function; A sees it all."""
    def train(params, step):
        params["W"] += 1.0
        params["big"][0] = 5.0
        params["new"] = np.arange(2)
        del params["gone"]
        params["count"] += 1
        return step(params["W"].sum(), params)

    a, _ = connect({"train": train})
    W, big, same = np.zeros((2, 2)), np.zeros(wire._SMALL), np.ones(3)
    params = {"W": W, "big": big, "same": same, "gone": 1, "count": 0}
    seen = []

    def step(total, their_params):
        seen.append((float(total), threading.current_thread() is threading.main_thread()))
        their_params["from_callback"] = True  # a change to B's dict, made here, goes back to B and then to A
        return total * 10

    result = a.call_remote("train", None, (params, step), {})
    assert result == 40.0
    assert seen == [(4.0, True)]  # the callback ran on A's side
    assert params["W"] is W and np.array_equal(W, np.ones((2, 2)))
    assert params["big"] is big and big[0] == 5.0 and big[1:].sum() == 0
    assert params["same"] is same
    assert "gone" not in params and params["count"] == 1 and params["from_callback"] is True
    np.testing.assert_array_equal(params["new"], [0, 1])


def test_call_syncs_list_and_keyword_arguments(connect):
    def work(history, *, state):
        history.append(len(history))
        state["steps"] = state.get("steps", 0) + 1
        state["v"] *= 2

    a, _ = connect({"work": work})
    history, v = [0], np.array([1.0, 2.0])
    state = {"v": v}
    assert a.call_remote("work", None, (history,), {"state": state}) is None
    assert history == [0, 1]
    assert state["steps"] == 1 and state["v"] is v and list(v) == [2.0, 4.0]


def test_no_sync_function_changes_do_not_come_back(connect):
    def fill(d):
        d["x"] = 1

    fill.no_sync = True
    a, _ = connect({"fill": fill})
    d = {}
    a.call_remote("fill", None, (d,), {})
    assert d == {}


def test_own_function_passed_back_is_the_same_object(connect):
    a, _ = connect({"echo": lambda f: f})

    def mine():
        pass

    assert a.call_remote("echo", None, (mine,), {}) is mine


def test_named_function_is_resolved_by_the_receiver(connect):
    """A function A names travels as its name; B runs its own function of that name."""
    def a_sigmoid(x):
        raise AssertionError("A's own function must not be called")

    a, _ = connect({"apply": lambda f, x: f(x), "api.sigmoid": lambda x: ("B", x)},
                   a_name_of=lambda f: "api.sigmoid" if f is a_sigmoid else None)
    assert a.call_remote("apply", None, (a_sigmoid, 3), {}) == ("B", 3)


def test_remote_exception_comes_back_as_remote_error(connect):
    def bad(x):
        raise ValueError(f"bad shape {x}")

    a, _ = connect({"bad": bad, "ok": lambda: "fine"})
    with pytest.raises(wire.RemoteError) as info:
        a.call_remote("bad", None, ((2, 3),), {})
    assert info.value.kind == "ValueError" and info.value.message == "bad shape (2, 3)"
    assert "ValueError: bad shape (2, 3)" in info.value.trace
    assert a.call_remote("ok", None, (), {}) == "fine"  # the channel still works


def test_exception_in_a_callback_reaches_the_remote_function(connect):
    """A callback that raises on A's side is a RemoteError inside B's function, which may handle it."""
    def guarded(f):
        try:
            f()
        except wire.RemoteError as exc:
            return exc.kind, exc.message
        return "no error"

    a, _ = connect({"guarded": guarded})

    def fails():
        raise KeyError("k")

    assert a.call_remote("guarded", None, (fails,), {}) == ("KeyError", "'k'")


def test_unknown_function_and_unknown_handle_give_errors_not_crashes(connect):
    a, _ = connect({"ok": lambda: "fine"})
    with pytest.raises(wire.RemoteError) as info:
        a.call_remote(None, 999, (), {})
    assert info.value.kind == "WireError" and "999" in info.value.message
    with pytest.raises(wire.RemoteError) as info:
        a.call_remote("missing", None, (), {})
    assert info.value.kind == "KeyError"
    with pytest.raises(wire.RemoteError, match="names no function"):
        a.call_remote(None, None, (), {})
    assert a.call_remote("ok", None, (), {}) == "fine"


def test_unencodable_values_are_refused_on_either_side(connect):
    a, _ = connect({"give_set": lambda: {1}, "ok": lambda: "fine"})
    with pytest.raises(wire.WireError, match="bytes"):
        a.call_remote("ok", None, (b"x",), {})  # refused before anything is sent
    with pytest.raises(wire.RemoteError) as info:
        a.call_remote("give_set", None, (), {})
    assert info.value.kind == "WireError" and "set" in info.value.message
    assert a.call_remote("ok", None, (), {}) == "fine"


def test_on_call_is_told_each_incoming_call(connect):
    a, b = connect({"ok": lambda: "fine"})
    names = []
    b.on_call = names.append
    a.call_remote("ok", None, (), {})
    assert names == ["ok"]


def test_timeout_when_the_other_side_does_not_answer(raw_pair):
    a, _ = raw_pair  # nothing serves the other end
    a.deadline = time.monotonic() + 0.2
    with pytest.raises(wire.ChannelTimeout):
        a.call_remote("anything", None, (), {})


def test_timeout_at_once_when_the_deadline_has_passed(raw_pair):
    a, sb = raw_pair
    wire.Channel(sb, local=_no_function).send({"op": "late"}, [])
    a.deadline = time.monotonic() - 1
    with pytest.raises(wire.ChannelTimeout):
        a.receive()


@pytest.mark.parametrize("later", [None, float("inf")])
def test_no_deadline_after_a_deadline_waits_for_the_answer(raw_pair, later):
    a, sb = raw_pair
    b = wire.Channel(sb, local=_no_function)
    b.send({"op": "first"}, [])
    a.deadline = time.monotonic() + 0.05
    assert a.receive()[0] == {"op": "first"}
    a.deadline = later
    timer = threading.Timer(0.5, b.send, args=({"op": "second"}, []))
    timer.start()
    try:
        assert a.receive()[0] == {"op": "second"}
    finally:
        timer.join()


def test_closed_peer_gives_channel_closed(raw_pair):
    a, sb = raw_pair
    sb.close()
    with pytest.raises(wire.ChannelClosed):
        a.receive()
    with pytest.raises(wire.ChannelClosed):
        a.call_remote("anything", None, (), {})


def test_peer_closing_while_a_call_waits_gives_channel_closed(raw_pair):
    a, sb = raw_pair

    def read_then_close():
        wire.Channel(sb, local=_no_function).receive()
        sb.close()

    thread = threading.Thread(target=read_then_close)
    thread.start()
    with pytest.raises(wire.ChannelClosed):
        a.call_remote("anything", None, ([1, 2],), {})
    thread.join()


def test_oversized_message_is_refused_without_allocating_it(raw_pair):
    a, sb = raw_pair
    sb.sendall(wire._HEAD.pack(wire.MAX_MESSAGE + 1, 10))
    tracemalloc.start()
    try:
        with pytest.raises(wire.WireError, match="over the limit"):
            a.receive()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_header_longer_than_the_message_is_refused(raw_pair):
    a, sb = raw_pair
    sb.sendall(wire._HEAD.pack(10, 11) + bytes(10))
    with pytest.raises(wire.WireError, match="over the limit"):
        a.receive()


def _frame(head: bytes, sizes: bytes, payload: bytes = b"") -> bytes:
    total = len(head) + 4 + len(sizes) + len(payload)
    return wire._HEAD.pack(total, len(head)) + head + struct.pack("!I", len(sizes)) + sizes + payload


@pytest.mark.parametrize("frame", [
    _frame(b"not json", b"[]"),
    _frame(b"[1, 2]", b"[]"),               # header not an object
    _frame(b'{"op": "x"}', b'{"a": 1}'),    # sizes not a list
    _frame(b'{"op": "x"}', b"[-1]"),        # negative size
    _frame(b'{"op": "x"}', b"[5]", b"ab"),  # buffers longer than the message
    _frame(b'{"op": "x"}', b"[1]", b"abc"),  # bytes left over
    _frame(b"\xff\xfe", b"[]"),             # not UTF-8
], ids=["json", "header", "sizes", "negative", "short", "extra", "utf8"])
def test_malformed_messages_are_refused(raw_pair, frame):
    a, sb = raw_pair
    sb.sendall(frame)
    with pytest.raises(wire.WireError, match="malformed|add up"):
        a.receive()


def test_unexpected_reply_op_is_refused(raw_pair):
    a, sb = raw_pair
    sb.sendall(_frame(b'{"op": "dance"}', b"[]"))
    with pytest.raises(wire.WireError, match="unexpected message 'dance'"):
        a.wait_reply()


def test_deeply_nested_json_header_is_refused_with_wire_error(raw_pair):
    a, sb = raw_pair
    sb.sendall(_frame(b"[" * 100_000, b"[]"))
    with pytest.raises(wire.WireError):
        a.receive()


def test_array_argument_changed_in_place_comes_back(connect):
    def bump(a):
        a += 1

    a, _ = connect({"bump": bump})
    array = np.zeros(3)
    a.call_remote("bump", None, (array,), {})
    assert list(array) == [1.0, 1.0, 1.0]


def test_nested_containers_in_a_dict_argument_come_back(connect):
    def update(state):
        state["layer"]["W"] += 1
        state["history"].append(1)

    a, _ = connect({"update": update})
    state = {"layer": {"W": np.zeros(2)}, "history": []}
    a.call_remote("update", None, (state,), {})
    assert list(state["layer"]["W"]) == [1.0, 1.0] and state["history"] == [1]


def test_time_spent_serving_the_other_sides_calls_is_not_counted_against_the_deadline(connect):
    """B's function calls back into A, whose callback takes longer than A's whole deadline: no timeout, and A
    is told how long it served."""
    a, b = connect({"twice": lambda f: [f(), f()]})
    served = []
    a.on_served = served.append
    a.deadline = time.monotonic() + 0.3

    def slow():
        time.sleep(0.25)
        return "done"

    assert a.call_remote("twice", None, (slow,), {}) == ["done", "done"]
    assert len(served) == 2 and all(0.25 <= s < 5 for s in served)


def test_the_other_sides_own_slowness_still_times_out(connect):
    a, b = connect({"sleepy": lambda: time.sleep(1.0)})
    a.deadline = time.monotonic() + 0.3
    with pytest.raises(wire.ChannelTimeout):
        a.call_remote("sleepy", None, (), {})


@pytest.mark.parametrize("checksums", [True, False])
def test_a_large_array_the_worker_received_goes_back_as_a_token_until_it_changes(checksums):
    """As in read_text: the grader's findLetters returns the page, the submission passes it to the grader's
    crop_to_input again and again. With checksums (the function server's side) it crosses back as a token, so the grader
    gets its own object; once the submission changes it, it travels in full, changed."""
    page = np.arange(300 * 300, dtype=float).reshape(300, 300)  # 720 kB: a large array, writable
    seen = []

    def crop(binary, row):
        seen.append((binary is page, float(binary[row].sum())))
        return float(binary[row].sum())

    def read(find, crop):
        binary = find()
        sums = [crop(binary, row) for row in range(3)]
        binary[0] = 0  # the submission changes its copy
        return sums + [crop(binary, 0), crop(binary, 1)]

    sa, sb = socket.socketpair()
    grader = wire.Channel(sa, local=_no_function)
    worker = wire.Channel(sb, local=lambda name: {"read": read}[name], checksums=checksums)
    grader.deadline = time.monotonic() + 60
    thread = threading.Thread(target=_serve, args=(worker,), daemon=True)
    thread.start()
    try:
        sums = grader.call_remote("read", None, (lambda: page, crop), {}, fresh=True)
    finally:
        sa.close()
        thread.join(10)
        sb.close()
    row = [float(page[r].sum()) for r in range(3)]
    assert sums == row + [0.0, row[1]] and page[0].sum() == row[0]  # the grader's page never changed
    assert [same for same, _ in seen] == [checksums] * 3 + [False, False]
