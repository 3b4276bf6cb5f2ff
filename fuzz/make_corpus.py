#!/usr/bin/env python3
"""Writes the seed corpus under fuzz/corpus/<target>/ (run it again after editing; the files
are committed). Seeds are small and realistic: what soketi, Reverb and Laravel send."""
import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"


def frame(opcode, payload, fin=True, long_form=None):
    """An unmasked server frame; long_form 126/127 forces that length encoding."""
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    if long_form == 127 or n > 0xFFFF:
        head = bytes([b0, 127]) + struct.pack(">Q", n)
    elif long_form == 126 or n > 125:
        head = bytes([b0, 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, n])
    return head + payload


def close(code, reason=""):
    return frame(8, struct.pack(">H", code) + reason.encode())


ESTABLISHED = ('{"event":"pusher:connection_established",'
               '"data":"{\\"socket_id\\":\\"1234.5678\\",\\"activity_timeout\\":30}"}')
EVENT = ('{"event":"App\\\\Events\\\\MessageSent","channel":"private-chat.1",'
         '"data":"{\\"message\\":{\\"id\\":7,\\"text\\":\\"hi\\"}}"}')


def frames():
    # byte 0: options (low nibble max size index, bits 4-5 chunking, bit 7 throwing sink);
    # byte 1: chunking seed.
    big = '{"event":"x","channel":"c","data":"' + "a" * 300 + '"}'
    return {
        "established": b"\x0f\x00" + frame(1, ESTABLISHED),
        "two_messages": b"\x1f\x07" + frame(1, ESTABLISHED) + frame(1, EVENT),
        "fragmented_with_ping": b"\x2f\x03" + frame(1, EVENT[:20], fin=False)
        + frame(9, "ping") + frame(0, EVENT[20:50], fin=False) + frame(0, EVENT[50:]),
        "ping_pong": b"\x3a\x11" + frame(9, "") + frame(10, "hb") + frame(9, "x" * 125),
        "close_normal": b"\x0f\x05" + frame(1, '{"event":"pusher:pong","data":{}}')
        + close(1000, "bye"),
        "close_4201": b"\x1b\x09" + close(4201, "Pong reply not received in time"),
        "close_empty": b"\x0f\x00" + frame(8, ""),
        "binary": b"\x25\x02" + frame(2, bytes(range(40))),
        "len126": b"\x1d\x21" + frame(1, big),
        "len127_short": b"\x0f\x13" + frame(1, '{"event":"pusher:ping"}', long_form=127),
        "utf8_split": b"\x10\x01" + frame(1, "caf\u00e9 \u2603 \U0001f600", fin=False)
        + frame(0, "\u00e9"),
        "too_big": b"\x09\x00" + frame(1, "x" * 1500),
        "throwing_sink": b"\x9f\x02" + frame(9, "a") + frame(1, EVENT) + close(1001),
    }


ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # of the fixed key dGhlIHNhbXBsZSBub25jZQ==


def responses():
    ok = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Accept: {accept}\r\n\r\n")
    return {
        "soketi_101_with_frame": ok.encode() + frame(1, ESTABLISHED),
        "literal_accept": ok.replace("{accept}", ACCEPT).encode(),
        "nginx_101": ("HTTP/1.1 101 Switching Protocols\r\nServer: nginx/1.22.1\r\n"
                      "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\nConnection: keep-alive, upgrade\r\n"
                      "upgrade: WebSocket\r\nsec-websocket-accept:   " + ACCEPT + "\t\r\n\r\n").encode(),
        "reverb_101": ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"
                       "X-Powered-By: Ratchet/0.4.4\r\n\r\n").encode(),
        "wrong_accept": ok.replace("{accept}", "dGhlIHNhbXBsZSBub25jZQ==").encode(),
        "extensions": (ok[:-2] + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n").encode(),
        "bad_request": b"HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n\r\nBad Request",
        "not_found": b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n\r\n",
        "http10": b"HTTP/1.0 200 OK\r\n\r\n",
        "incomplete": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n",
        "garbage": b"SSH-2.0-OpenSSH_9.2\r\n",
        "folded": ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection:\r\n Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n").encode(),
    }


def messages():
    presence = {"presence": {"ids": ["1", 2], "hash": {"1": {"name": "Ann"}, "2": None},
                             "count": 2}}
    return {
        "established": ESTABLISHED,
        "established_reverb": ('{"event":"pusher:connection_established","data":'
                               '"{\\"socket_id\\":\\"815512245.393453066\\",'
                               '\\"activity_timeout\\":30}"}'),
        "error_object": '{"event":"pusher:error","data":{"code":4001,"message":"App key x not in this cluster"}}',
        "error_string": '{"event":"pusher:error","data":"{\\"code\\":4009,\\"message\\":\\"Connection is unauthorized\\"}"}',
        "error_no_code": '{"event":"pusher:error","data":{"message":"Invalid message format"}}',
        "ping": '{"event":"pusher:ping","data":{}}',
        "pong_reverb": '{"event":"pusher:pong"}',
        "succeeded_soketi": '{"event":"pusher_internal:subscription_succeeded","channel":"private-chat.1"}',
        "succeeded_reverb": '{"event":"pusher_internal:subscription_succeeded","channel":"chat","data":"{}"}',
        "succeeded_presence": json.dumps({"event": "pusher_internal:subscription_succeeded",
                                          "channel": "presence-room.1",
                                          "data": json.dumps(presence)}),
        "subscription_error": '{"event":"pusher:subscription_error","channel":"private-x","data":{"type":"AuthError","error":"The connection is unauthorized.","status":401}}',
        "subscription_count": '{"event":"pusher_internal:subscription_count","channel":"news","data":"{\\"subscription_count\\":12}"}',
        "member_added": '{"event":"pusher_internal:member_added","channel":"presence-room.1","data":"{\\"user_id\\":\\"3\\",\\"user_info\\":{\\"name\\":\\"Bo\\"}}"}',
        "member_added_object": '{"event":"pusher_internal:member_added","channel":"presence-room.1","data":{"user_id":4,"user_info":{"name":"Cy"}}}',
        "member_removed": '{"event":"pusher_internal:member_removed","channel":"presence-room.1","data":"{\\"user_id\\":\\"3\\"}"}',
        "signin_success": '{"event":"pusher:signin_success","data":{"user_data":"{\\"id\\":\\"12345\\"}"}}',
        "cache_miss": '{"event":"pusher:cache_miss","channel":"cache-prices"}',
        "watchlist": '{"event":"pusher_internal:watchlist_events","data":{"events":[{"name":"online","user_ids":["1"]}]}}',
        "laravel_event": EVENT,
        "client_event_object": '{"event":"client-typing","channel":"presence-room.1","data":{"typing":true},"user_id":"7"}',
        "numeric_data": '{"event":"tick","channel":"c","data":1.50e3,"user_id":12}',
        "escapes": '{"event":"caf\\u00e9","channel":null,"data":"line\\nbreak \\ud83d\\ude00 \\/"}',
        "encrypted": '{"event":"secret","channel":"private-encrypted-x","data":"{\\"ciphertext\\":\\"AAAA\\",\\"nonce\\":\\"BBBB\\"}"}',
    }


def app_events():
    ms = "App\\Events\\MessageSent\n"
    return {
        "laravel_nested": ms + json.dumps({"message": {"id": 17, "conversation_id": 3, "body": "hello",
                                                       "user": {"id": 1, "name": "Ann"},
                                                       "created_at": "2024-05-01T10:00:00.000000Z"}}),
        "laravel_flat": ms + json.dumps({"id": "m-9", "text": "hi", "sender_id": 2, "sender_name": "Bo",
                                         "room": {"id": 5}, "timestamp": 1714557600}),
        "laravel_double_encoded": ms + json.dumps(json.dumps({"content": "x", "author": {"id": "u"}})),
        "broadcast_as": ".message.sent\n" + json.dumps({"message": "yo", "user_id": 3}),
        "typing_object": 'client-typing\n{"user":{"id":7,"name":"Cy"},"typing":true}',
        "typing_string": 'client-typing\n"{\\"name\\":\\"Cy\\",\\"typing\\":false}"',
        "typing_empty": "client-typing\n",
        "typing_null": "typing\nnull",
        "read": "App\\Events\\MessagesRead\n" + json.dumps({"reader": {"id": 1, "name": "Ann"},
                                                           "message_ids": [1, "2", 3],
                                                           "last_read_id": 3, "read_at": "2024-05-01"}),
        "read_flat": "messages.read\n" + json.dumps({"user_id": "9", "message_id": 44}),
        "unknown": "App\\Events\\OrderShipped\n{\"order\":1}",
        "wrong_types": ms + '{"text":5,"id":{},"user":[1]}',
        "deep": ms + "[" * 70 + "]" * 70,
        # UUID-keyed apps, people as plain strings, conversations on typing and read receipts.
        "uuid_keys": ms + json.dumps({"uuid": "9b2f6c1e-1d2a-4c3b-8e4f-5a6b7c8d9e0f", "body": "hi",
                                      "sender_uuid": "u-1", "conversation_uuid": "c-1"}),
        "nested_uuid_objects": ms + json.dumps({"message": {
            "uuid": "m-1", "text": "yo", "sender": {"uuid": "u-2", "name": "Ann"},
            "room": {"uuid": "r-1"}}}),
        "sender_string": ms + json.dumps({"text": "hi", "user": "bob", "user_id": 4}),
        "wrong_conversation": ms + '{"text":"a","room":[1],"sender":7}',
        "typing_conversation": 'client-typing\n{"user":"bob","conversation_id":12,"typing":true}',
        "typing_room_object": 'client-typing\n{"user":{"uuid":"u-1"},"room":{"id":"lobby"}}',
        "read_conversation": "App\\Events\\MessagesRead\n" + json.dumps(
            {"reader_id": 7, "conversation_id": 3, "read_at": "2024-05-01T10:00:00Z"}),
        "read_uuids": "App\\Events\\MessagesRead\n" + json.dumps(
            {"reader": {"uuid": "u-1", "name": "Ann"}, "message_uuids": ["m-1", "m-2"],
             "last_read_uuid": "m-2", "conversation_uuid": "c-1"}),
        "read_reader_string": "messages.read\n" + json.dumps({"reader": "bob", "room": {"id": 5}}),
        "read_no_reader": "App\\Events\\MessagesRead\n" + json.dumps({"conversation_id": 3}),
        # Aliases of the fuzz target's Echo-style names, and a name in several lists.
        "alias_read_receipt": "read.receipt\n" + json.dumps({"user": "bob",
                                                              "last_read_message_uuid": "m-9"}),
        "alias_posted": "Chat\\MessagePosted\n" + json.dumps({"content": "x", "author": "Cy"}),
        "alias_composing": "client-composing\n",
        "colliding_shared": "shared\n" + json.dumps({"reader_id": 1, "message_ids": [1]}),
    }


def auth_bodies():
    # byte 0: low 3 bits status (0 -> 200, 1 -> 201, 4 -> 403, 5 -> 419, 6 -> 302, 7 -> 0),
    # bit 3 user sign-in.
    return {
        "private": b"\x00" + b'{"auth":"278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"}',
        "presence_string": b"\x00" + json.dumps({
            "auth": "278d425bdf160c739803:afaed3695da2ffd16931f457e338e6c9f2921fa133ce7dac49f529792be6304c",
            "channel_data": '{"user_id":10,"user_info":{"name":"Mr. Channels"}}'}).encode(),
        "presence_object": b"\x01" + b'{"auth":"key:sig","channel_data":{"user_id":"10","user_info":{"name":"A"}}}',
        "encrypted": b"\x00" + b'{"auth":"key:sig","shared_secret":"oT5is3vlpnAbJXo1Ri9sVKz3Ym3bWpyStXPChl0pCHI="}',
        "signin": b"\x08" + b'{"auth":"278d425bdf160c739803:4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba","user_data":"{\\"id\\":\\"12345\\"}"}',
        "signin_missing_user_data": b"\x08" + b'{"auth":"key:sig"}',
        "forbidden_html": b"\x04" + b"<!DOCTYPE html><title>403 Forbidden</title>",
        "laravel_419": b"\x05" + b'{"message":"CSRF token mismatch."}',
        "unauthenticated_token": b"\x00" + b'{"message":"Unauthenticated.","token":"sekr1t"}',
        "auth_not_string": b"\x00" + b'{"auth":12,"channel_data":[1]}',
        "redirect": b"\x06" + b"",
    }


def write(target, seeds):
    d = ROOT / target
    d.mkdir(parents=True, exist_ok=True)
    for name, data in seeds.items():
        (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


write("frame", frames())
write("handshake", responses())
write("message", messages())
write("app_event", app_events())
write("auth_response", auth_bodies())
