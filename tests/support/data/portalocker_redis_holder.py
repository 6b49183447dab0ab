# Python portalocker's RedisLock (Debian's 2.2.1) as another process.
# argv: channel port [timeout [hold|try]], defaults 5 and hold.
# Prints LOCKED, or ALREADY_LOCKED (exit 1) when the timeout passes. "hold" keeps the lock
# until a line "release" arrives on stdin, "try" releases at once; both print RELEASED.
import sys

import portalocker

channel, port = sys.argv[1], int(sys.argv[2])
timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
mode = sys.argv[4] if len(sys.argv) > 4 else 'hold'
lock = portalocker.RedisLock(channel, timeout=timeout, check_interval=0.05,
                             redis_kwargs=dict(host='127.0.0.1', port=port))
try:
    lock.acquire()
except portalocker.AlreadyLocked:
    print('ALREADY_LOCKED', flush=True)
    sys.exit(1)
print('LOCKED', flush=True)
if mode == 'hold':
    for line in sys.stdin:
        if line.strip() == 'release':
            break
lock.release()
print('RELEASED', flush=True)
