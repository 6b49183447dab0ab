# A scripted participant of the portalocker Redis channel lock that behaves as portalocker 4.x
# (protocol 1) does, so that CI can test against that behaviour without network access.
# Written from the protocol facts in shared/PROTOCOLS.md section 3; no code from upstream.
#
# What it reproduces, because our library has to live with it:
#  * a holder subscribes on its own connection named `<channel>-lock-<holder id>` and a
#    thread answers pings on the command connection, polling every thread_sleep_time;
#  * every attempt is preceded by a sleep of check_interval scaled by a random 0.5-1.5;
#  * one subscriber -> held; otherwise a probe: a fresh `<channel>-<hex>` response channel,
#    the ping, then answers read one per poll (with the same jittered sleep) until as many
#    arrived as were counted or unavailable_timeout passed;
#  * only answers with "protocol": 1, a string holder_id and a known mode are records;
#    anything else is a legacy exclusive holder;
#  * a count that changed during the probe makes it inconclusive; fewer answers than
#    subscribers makes it inconclusive *and* sweeps CLIENT LIST: every client named exactly
#    `<channel>-lock` (unless a legacy answer came) or starting with `<channel>-lock-` whose
#    suffix did not answer is killed, subscribed or not (the prefix match is 4.x's, kept on
#    purpose);
#  * readers join readers only; writers wait as "pending", the lowest pending id is elected,
#    keeps its subscription and turns exclusive once no reader is left; everybody else
#    unsubscribes before trying again.
#
# Command line (stdout lines are the protocol with the test):
#   portalocker4.py lock CHANNEL PORT TIMEOUT hold|try [shared] [CHECK_INTERVAL]
#       LOCKED or ALREADY_LOCKED (exit 1); with hold, waits for "release" on stdin, then
#       RELEASED. LOST when its subscription connection dies while holding.
#   portalocker4.py probe CHANNEL PORT COUNT
#       COUNT probes of the channel as a 4.x contender would make them (sweeping when one
#       comes up short), without ever holding; prints "PROBES <n> SHORT <k> SWEPT <names>".
#   portalocker4.py latency CHANNEL PORT COUNT
#       COUNT pings, one at a time, each answered by every holder: prints how long the
#       answers took (median, 99th percentile, worst, in ms) against the 1 s after which a
#       4.x prober kills a holder.

import json
import random
import sys
import threading
import time
import uuid

import redis

PROTOCOL = 1
MODES = ('exclusive', 'pending', 'shared')


class AlreadyLocked(Exception):
    pass


class RedisLock4:
    def __init__(self, channel, port, shared=False, timeout=5.0, check_interval=0.25,
                 unavailable_timeout=1.0, thread_sleep_time=0.1, fail_when_locked=False):
        self.channel = channel
        self.shared = shared
        self.timeout = timeout
        self.check_interval = check_interval
        self.unavailable_timeout = unavailable_timeout
        self.thread_sleep_time = thread_sleep_time
        self.fail_when_locked = fail_when_locked
        self.holder_id = uuid.uuid4().hex
        self.mode = 'shared' if shared else 'pending'
        self.elected = False
        self.connection = redis.Redis(host='127.0.0.1', port=port, decode_responses=True,
                                      health_check_interval=10)
        self.pubsub = None
        self.thread = None
        self.stopping = threading.Event()
        self.lost = threading.Event()

    # --- the holder side -------------------------------------------------------------------

    def name(self):
        return '%s-lock-%s' % (self.channel, self.holder_id)

    def _answer(self, data):
        try:
            ping = json.loads(data)
        except (TypeError, ValueError):
            return
        if not isinstance(ping, dict):
            return
        response_channel = ping.get('response_channel')
        if isinstance(response_channel, str) and response_channel:
            record = {'holder_id': self.holder_id, 'mode': self.mode, 'protocol': PROTOCOL}
            self.connection.publish(response_channel, json.dumps(record))

    def _serve(self, pubsub):
        try:
            while not self.stopping.is_set():
                message = pubsub.get_message(ignore_subscribe_messages=True,
                                             timeout=self.thread_sleep_time)
                if message and message.get('type') == 'message':
                    self._answer(message.get('data'))
        except Exception:
            if not self.stopping.is_set():
                self.lost.set()

    def _subscribe(self):
        self.pubsub = self.connection.pubsub()
        self.pubsub.execute_command('CLIENT', 'SETNAME', self.name())
        self.pubsub.parse_response()
        self.pubsub.subscribe(self.channel)
        self.stopping.clear()
        self.lost.clear()
        self.thread = threading.Thread(target=self._serve, args=(self.pubsub,), daemon=True)
        self.thread.start()
        time.sleep(0.01)

    def release(self):
        self.elected = False
        if self.thread:
            self.stopping.set()
            self.thread.join()
            self.thread = None
            time.sleep(0.01)
        if self.pubsub:
            try:
                self.pubsub.unsubscribe(self.channel)
            except redis.RedisError:
                pass
            self.pubsub.close()
            self.pubsub = None

    # --- the contender side ----------------------------------------------------------------

    def _attempts(self, timeout, interval):
        deadline = time.monotonic() + timeout
        first = True
        while first or time.monotonic() < deadline:
            first = False
            time.sleep((interval if interval > 0 else self.thread_sleep_time) *
                       random.uniform(0.5, 1.5))
            yield

    def _count(self):
        return self.connection.pubsub_numsub(self.channel)[0][1]

    @staticmethod
    def _record(data, legacy_count):
        try:
            answer = json.loads(data)
            if (answer.get('protocol') == PROTOCOL and isinstance(answer.get('holder_id'), str)
                    and answer.get('mode') in MODES):
                return answer['holder_id'], answer['mode'], False
        except (AttributeError, TypeError, ValueError):
            pass
        return 'legacy-%d' % legacy_count, 'exclusive', True

    def _sweep(self, answered):
        ids = {holder_id for holder_id, (mode, legacy) in answered.items() if not legacy}
        legacy_answered = any(legacy for mode, legacy in answered.values())
        legacy_name = self.channel + '-lock'
        prefix = legacy_name + '-'
        for client in self.connection.client_list():
            name = client.get('name', '')
            if ((name == legacy_name and not legacy_answered) or
                    (name.startswith(prefix) and name[len(prefix):] not in ids)):
                try:
                    self.connection.client_kill_filter(_id=client.get('id'))
                except redis.RedisError:
                    pass
                self.swept.append(name)

    def probe(self, expected):
        """The holders that answered, or None when the probe was inconclusive."""
        poll = min(self.thread_sleep_time, self.unavailable_timeout / 10)
        response_channel = '%s-%s' % (self.channel, uuid.uuid4().hex)
        pubsub = self.connection.pubsub()
        answered = {}
        legacy_count = 0
        try:
            pubsub.subscribe(response_channel)
            for _ in self._attempts(self.unavailable_timeout, poll):
                confirmation = pubsub.get_message(timeout=poll)
                if confirmation and confirmation.get('type') == 'subscribe':
                    break
            self.connection.publish(self.channel, json.dumps(
                {'message': 'ping', 'response_channel': response_channel}))
            for _ in self._attempts(self.unavailable_timeout, poll):
                message = pubsub.get_message(timeout=poll)
                if message and message.get('type') == 'message':
                    holder_id, mode, legacy = self._record(message.get('data'), legacy_count)
                    answered[holder_id] = (mode, legacy)
                    legacy_count += legacy
                    if len(answered) >= expected:
                        break
            if self._count() != expected:
                return None
            if len(answered) < expected:
                self.short += 1
                self._sweep(answered)
                return None
            return answered
        finally:
            pubsub.close()

    def _resolve(self, holders):
        if holders is not None and self.shared and all(
                mode == 'shared' for mode, legacy in holders.values()):
            return True
        elected = False
        if holders is not None and not self.shared:
            modes = [mode for mode, legacy in holders.values()]
            pending = sorted(i for i, (mode, legacy) in holders.items() if mode == 'pending')
            elected = 'exclusive' not in modes and bool(pending) and pending[0] == self.holder_id
        if elected:
            self.elected = True
            if self.fail_when_locked:
                self.release()
                raise AlreadyLocked()
            if 'shared' not in [mode for mode, legacy in holders.values()]:
                self.mode = 'exclusive'
                return True
            return False
        if holders is None and self.elected:
            return False
        self.release()
        if self.fail_when_locked:
            raise AlreadyLocked()
        return False

    def acquire(self):
        self.short = 0
        self.swept = []
        if not self.shared:
            self.mode = 'pending'
            self.elected = False
        for _ in self._attempts(self.timeout, self.check_interval):
            if self.pubsub is None:
                self._subscribe()
            subscribers = self._count()
            if subscribers == 1:
                if not self.shared:
                    self.mode = 'exclusive'
                return
            if self._resolve(self.probe(subscribers)):
                return
        self.release()
        raise AlreadyLocked()


def lock_command(argv):
    channel, port, timeout, action = argv[0], int(argv[1]), float(argv[2]), argv[3]
    shared = len(argv) > 4 and argv[4] == 'shared'
    interval = float(argv[5]) if len(argv) > 5 else 0.05
    lock = RedisLock4(channel, port, shared=shared, timeout=timeout, check_interval=interval)
    try:
        lock.acquire()
    except AlreadyLocked:
        print('ALREADY_LOCKED', flush=True)
        return 1
    print('LOCKED', flush=True)
    if action == 'hold':
        watcher = threading.Thread(target=lambda: lock.lost.wait() and print('LOST', flush=True),
                                   daemon=True)
        watcher.start()
        for line in sys.stdin:
            if line.strip() == 'release':
                break
    lock.release()
    print('RELEASED', flush=True)
    return 0


def probe_command(argv):
    channel, port, count = argv[0], int(argv[1]), int(argv[2])
    prober = RedisLock4(channel, port)
    prober.short = 0
    prober.swept = []
    for _ in range(count):
        # A prober that counts itself, as a 4.x contender subscribed while probing does.
        prober._subscribe()
        try:
            prober.probe(prober._count())
        finally:
            prober.release()
    print('PROBES %d SHORT %d SWEPT %s' % (count, prober.short, ','.join(prober.swept) or '-'),
          flush=True)
    return 0


def latency_command(argv):
    channel, port, count = argv[0], int(argv[1]), int(argv[2])
    connection = redis.Redis(host='127.0.0.1', port=port)
    pubsub = connection.pubsub()
    response_channel = '%s-%s' % (channel, uuid.uuid4().hex)
    pubsub.subscribe(response_channel)
    pubsub.get_message(timeout=2)
    samples = []
    for _ in range(count):
        start = time.monotonic()
        # PUBLISH answers how many subscribers got the ping: exactly the answers to wait for.
        holders = connection.publish(channel, json.dumps(
            {'message': 'ping', 'response_channel': response_channel}))
        answers = 0
        while answers < holders and time.monotonic() - start < 5:
            message = pubsub.get_message(timeout=1)
            if message and message.get('type') == 'message':
                answers += 1
        samples.append((time.monotonic() - start) * 1000)
        time.sleep(0.005)
    samples.sort()
    print('PINGS %d median %.2f ms p99 %.2f ms worst %.2f ms' % (
        count, samples[len(samples) // 2], samples[min(len(samples) - 1, len(samples) * 99 // 100)],
        samples[-1]), flush=True)
    return 0


if __name__ == '__main__':
    commands = {'lock': lock_command, 'probe': probe_command, 'latency': latency_command}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__ or 'usage: portalocker4.py lock|probe ...', file=sys.stderr)
        sys.exit(2)
    sys.exit(commands[sys.argv[1]](sys.argv[2:]))
