# redis-py's own Lock (uuid1 token, PX 30 s) as another process.
# argv: key port [hold|leave], default hold.
# Prints "LOCKED <token>", or ALREADY_LOCKED (exit 1) when the key is taken. "hold" keeps the
# lock until a line "release" arrives on stdin, then prints RELEASED; "leave" exits without
# releasing, as a crashed holder would.
import sys

import redis

connection = redis.Redis(host='127.0.0.1', port=int(sys.argv[2]))
lock = connection.lock(sys.argv[1], timeout=30)
if not lock.acquire(blocking=False):
    print('ALREADY_LOCKED', flush=True)
    sys.exit(1)
print('LOCKED ' + lock.local.token.decode(), flush=True)
if len(sys.argv) > 3 and sys.argv[3] == 'leave':
    sys.exit(0)
for line in sys.stdin:
    if line.strip() == 'release':
        break
lock.release()
print('RELEASED', flush=True)
