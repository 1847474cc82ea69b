#!/usr/bin/python3
"""A scripted HTTP/2 server on python-h2 (Debian python3-h2), for the APNs interop tests.

An APNs-shaped answer (200 with apns-id) for POST /3/device/<token>, bent by MODE into a
behaviour a legal server may show. The device token is a hexadecimal number; some modes pick
what to do from it (token % k), so the test knows the exact count of each outcome.

  python3 h2-server.py MODE CERT KEY CLIENT_CA

Prints {"port": N} when listening (127.0.0.1, a free port). On SIGTERM prints its counters as
one JSON line and exits.

Modes:
  ok              every request 200
  table-size-0    after the first answer on a connection, SETTINGS_HEADER_TABLE_SIZE 0
  table-size-100  likewise, 100 (hpack then rejects a header block that keeps a bigger table)
  goaway-open     first connection: 40 requests held, 20 answered, then GOAWAY(NO_ERROR,
                  highest stream received); the other streams at or below it are answered
                  100 ms later, those above never, and the connection is left open
  goaway-stall    as goaway-open, but the streams at or below the last stream id that are
                  not answered yet never are
  never-end       MAX_CONCURRENT_STREAMS 10; token % 4 == 0: HEADERS 200 without END_STREAM,
                  never ended
  push-promise    the first request of the first connection gets a PUSH_PROMISE (the client
                  disabled push: a connection error for it)
  padding         every answer's DATA padded (255 bytes); token % 3 == 0: 400 BadDeviceToken
  small-window    INITIAL_WINDOW_SIZE 16: request bodies come 16 bytes at a time
  goaway-zero     every connection: at its first request, GOAWAY(NO_ERROR, last stream id 0),
                  then closed: nothing is ever processed (a server that fails every connection)
  rst-codes       token % 5 == 1: RST_STREAM INTERNAL_ERROR; == 3: ENHANCE_YOUR_CALM;
                  == 2: REFUSED_STREAM the first time the token is seen, then 200
"""
import asyncio
import json
import signal
import ssl
import struct
import sys
import uuid

import h2.config
import h2.connection
import h2.events
import h2.settings
from h2.errors import ErrorCodes

MODE, CERT, KEY, CLIENT_CA = sys.argv[1:5]

stats = {
    'mode': MODE,
    'connections': 0,
    'requests': 0,
    'answered': 0,
    # 200s per token beyond the first: a resend of something already taken.
    'duplicates': 0,
    'resets_sent': 0,
    'resets_received': 0,
    # GOAWAY error codes the client sent us.
    'client_goaways': [],
    # Connections on which the client sent at least one GOAWAY (it may send more than one).
    'connections_with_client_goaway': 0,
    # Connections the client closed after we sent GOAWAY on them.
    'closed_after_goaway': 0,
    'goaways_sent': 0,
    'protocol_errors': [],
    # never-end: unended streams still open when their connection ended (not reset before).
    'unended_at_close': 0,
    # goaway-stall: requests at or below GOAWAY's last stream id left unanswered.
    'stalled': 0,
}
accepted_tokens = set()
refused_tokens = set()
first_connection = True


def frame(kind, flags, stream_id, payload):
    return struct.pack('>I', len(payload))[1:] + bytes([kind, flags]) + struct.pack('>I', stream_id) + payload


class Connection:
    def __init__(self, reader, writer, first):
        self.reader = reader
        self.writer = writer
        self.first = first
        self.conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False, header_encoding='utf-8'))
        self.bodies = {}
        self.paths = {}
        self.answers = 0
        self.goaway_last = None
        self.highest = 0
        self.held = []
        self.client_goaway = False
        # After the client's GOAWAY, h2 refuses every frame in and out (its connection state is
        # CLOSED), though answers to open streams are still legal: they go out by hand then.
        self.peer_gone = False
        self.unended = set()
        self.table_changed = False
        self.pushed = False

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.writer.write(data)

    async def run(self):
        settings = {}
        if MODE == 'never-end':
            settings[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS] = 10
        if MODE == 'small-window':
            settings[h2.settings.SettingCodes.INITIAL_WINDOW_SIZE] = 16
        if settings:
            # In the first SETTINGS frame: h2 enforces its own limits from the start, and a
            # client may use the defaults until it has seen a later SETTINGS frame.
            self.conn.local_settings = h2.settings.Settings(client=False, initial_values=settings)
        self.conn.initiate_connection()
        self.flush()
        try:
            while True:
                data = await self.reader.read(65536)
                if not data:
                    break
                if self.peer_gone:
                    continue  # nothing more to learn from the client; keep the connection up
                try:
                    events = self.conn.receive_data(data)
                except h2.exceptions.ProtocolError as error:
                    stats['protocol_errors'].append(type(error).__name__ + ': ' + str(error))
                    self.flush()
                    break
                for event in events:
                    self.handle(event)
                self.flush()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            if self.goaway_last is not None:
                stats['closed_after_goaway'] += 1
            stats['unended_at_close'] += len(self.unended)
            self.writer.close()

    def handle(self, event):
        if isinstance(event, h2.events.RequestReceived):
            stats['requests'] += 1
            if MODE == 'goaway-zero':
                if self.goaway_last is None:
                    self.goaway_last = 0
                    stats['goaways_sent'] += 1
                    self.flush()
                    self.writer.write(frame(0x7, 0, 0, struct.pack('>II', 0, 0)))
                    self.writer.close()
                return
            self.highest = max(self.highest, event.stream_id)
            headers = dict(event.headers)
            self.paths[event.stream_id] = headers.get(':path', '')
            self.bodies[event.stream_id] = b''
        elif isinstance(event, h2.events.DataReceived):
            self.bodies[event.stream_id] = self.bodies.get(event.stream_id, b'') + event.data
            # Give the window back as the data is read (small-window: 16 bytes at a time).
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            self.answer(event.stream_id)
        elif isinstance(event, h2.events.StreamReset):
            stats['resets_received'] += 1
            self.unended.discard(event.stream_id)
        elif isinstance(event, h2.events.ConnectionTerminated):
            stats['client_goaways'].append(int(event.error_code))
            if not self.client_goaway:
                self.client_goaway = True
                stats['connections_with_client_goaway'] += 1
            self.peer_gone = True

    def answer_later(self, stream_id):
        if self.writer.is_closing():
            return
        self.flush()
        path = self.paths.pop(stream_id, '')
        token = path[len('/3/device/'):]
        # HEADERS(200, END_STREAM) written by hand with h2's own HPACK encoder, so the client's
        # decoder stays in step whether or not h2 still accepts to send.
        block = self.conn.encoder.encode([(':status', '200'), ('apns-id', str(uuid.uuid4()))])
        self.writer.write(frame(0x1, 0x5, stream_id, block))
        self.count_accepted(token)

    def answer(self, stream_id):
        if MODE in ('goaway-open', 'goaway-stall') and self.first:
            if self.goaway_last is None:
                # Hold 40 finished requests, answer 20, then GOAWAY with the highest stream id
                # received: the other 20 are open, at or below it, when the client reads it.
                self.held.append(stream_id)
                if len(self.held) < 40:
                    return
                for held in self.held[:20]:
                    self.respond(held)
                self.goaway_last = self.highest
                stats['goaways_sent'] += 1
                self.flush()
                # Written by hand: h2 would refuse every frame after its own GOAWAY, and this
                # server must go on with the streams at or below the last stream id.
                self.writer.write(frame(0x7, 0, 0, struct.pack('>II', self.highest, 0) + b'{"reason":"Shutdown"}'))
                for held in self.held[20:]:
                    self.kept_after_goaway(held)
            elif stream_id <= self.goaway_last:
                self.kept_after_goaway(stream_id)
            # Above the last stream id: not processed, never answered.
            return
        self.respond(stream_id)

    def kept_after_goaway(self, stream_id):
        if MODE == 'goaway-stall':
            stats['stalled'] += 1
        else:
            asyncio.get_running_loop().call_later(0.1, self.answer_later, stream_id)

    def respond(self, stream_id):
        path = self.paths.pop(stream_id, '')
        self.bodies.pop(stream_id, None)
        token = path[len('/3/device/'):] if path.startswith('/3/device/') else ''
        try:
            number = int(token, 16)
        except ValueError:
            number = -1

        if MODE == 'push-promise' and self.first and not self.pushed:
            self.pushed = True
            # Indexed static-table fields only (:method GET, :scheme https, :path /), so the
            # block is valid whatever the client's dynamic table holds.
            block = bytes([0x82, 0x87, 0x84])
            self.writer.write(frame(0x5, 0x4, stream_id, struct.pack('>I', 2) + block))
            return
        if MODE == 'rst-codes':
            code = None
            if number % 5 == 1:
                code = ErrorCodes.INTERNAL_ERROR
            elif number % 5 == 3:
                code = ErrorCodes.ENHANCE_YOUR_CALM
            elif number % 5 == 2 and token not in refused_tokens:
                refused_tokens.add(token)
                code = ErrorCodes.REFUSED_STREAM
            if code is not None:
                stats['resets_sent'] += 1
                self.conn.reset_stream(stream_id, error_code=code)
                return

        headers = [(':status', '200'), ('apns-id', str(uuid.uuid4()))]
        if MODE == 'never-end' and number % 4 == 0:
            self.conn.send_headers(stream_id, headers, end_stream=False)
            self.unended.add(stream_id)
            return
        if MODE == 'padding':
            if number % 3 == 0:
                body = json.dumps({'reason': 'BadDeviceToken'}).encode()
                self.conn.send_headers(stream_id, [(':status', '400'), ('content-type', 'application/json'), ('content-length', str(len(body)))])
                self.conn.send_data(stream_id, body, end_stream=True, pad_length=255)
            else:
                self.conn.send_headers(stream_id, headers)
                self.conn.send_data(stream_id, b'', end_stream=True, pad_length=255)
                self.count_accepted(token)
            self.after_answer(stream_id)
            return
        self.conn.send_headers(stream_id, headers, end_stream=True)
        self.count_accepted(token)
        self.after_answer(stream_id)

    def count_accepted(self, token):
        stats['answered'] += 1
        if token in accepted_tokens:
            stats['duplicates'] += 1
        accepted_tokens.add(token)

    def after_answer(self, stream_id):
        self.answers += 1
        if MODE in ('table-size-0', 'table-size-100') and not self.table_changed:
            self.table_changed = True
            size = 0 if MODE == 'table-size-0' else 100
            self.conn.update_settings({h2.settings.SettingCodes.HEADER_TABLE_SIZE: size})


async def serve(reader, writer):
    global first_connection
    stats['connections'] += 1
    first, first_connection = first_connection, False
    await Connection(reader, writer, first).run()


async def main():
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(CERT, KEY)
    context.load_verify_locations(CLIENT_CA)
    # APNs asks for the client certificate; this one also requires it and checks its chain.
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(['h2'])
    server = await asyncio.start_server(serve, '127.0.0.1', 0, ssl=context)
    print(json.dumps({'port': server.sockets[0].getsockname()[1]}), flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    print(json.dumps(stats), flush=True)


asyncio.run(main())
