# Python portalocker 2.2.1's RedisLock doing what `redisstressworker counter lock` does (see
# redisstressworker.cpp): PORT CHANNEL COUNTER ITERATIONS LOG VIOLATIONS [PORTALOCKER4]. With
# PORTALOCKER4 (the path of tests/support/portalocker4.py), the scripted portalocker 4.x
# participant instead. Prints READY once connected, waits for a line on standard input (so
# that the test can let it compete only once the C++ workers are running), then prints
# "DONE <first grant> <end>" (time.monotonic_ns(), i.e. CLOCK_MONOTONIC).
import os, sys, time, portalocker
port, channel, counter_path, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
log = os.open(sys.argv[5], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
violations = os.open(sys.argv[6], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
counter = os.open(counter_path, os.O_RDWR | os.O_CREAT)
marker = counter_path + '.inside'
ours = '%s.%d' % (marker, os.getpid())
with open(ours, 'w') as f:
    f.write('%d\n' % os.getpid())
if len(sys.argv) > 7:
    sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[7])))
    import portalocker4
    lock = portalocker4.RedisLock4(channel, port, timeout=120, check_interval=0.01)
    lock.connection.ping()
else:
    lock = portalocker.RedisLock(channel, timeout=120, check_interval=0.01,
                                 redis_kwargs=dict(host='127.0.0.1', port=port))
    lock.get_connection().ping()
print('READY', flush=True)
sys.stdin.readline()
first = None
for _ in range(count):
    lock.acquire()
    first = first or time.monotonic_ns()
    try:
        os.link(ours, marker)
        inside = True
    except FileExistsError:
        inside = False
        os.write(violations, b'INSIDE python %d found another process inside\n' % os.getpid())
    text = os.pread(counter, 64, 0).split()
    value = int(text[0]) if text else 0
    os.pwrite(counter, b'%020d %020d' % (value + 1, 0), 0)
    if inside:
        os.unlink(marker)
    lock.release()
    os.write(log, b'1')
os.unlink(ours)
print('DONE %d %d' % (first, time.monotonic_ns()), flush=True)
