import signal
import sys


def _stop(signum, frame):   # until hwcheck.cli.main installs its own handler
    sys.stderr.write("terminated\n")
    sys.exit(143)


signal.signal(signal.SIGTERM, _stop)
try:
    from hwcheck.cli import main
except KeyboardInterrupt:   # Ctrl-C while the CLI is still being imported
    sys.stderr.write("interrupted\n")
    sys.exit(130)

main()
