package agent

import (
	"net"
	"os"
	"strconv"
	"time"
)

// sdNotify sends a systemd notification (READY=1, WATCHDOG=1, STOPPING=1,
// STATUS=...) when the agent runs under a Type=notify unit; elsewhere it
// does nothing.
func sdNotify(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if path[0] == '@' {
		path = "\x00" + path[1:] // abstract socket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte(state))
	return err
}

// watchdogInterval is half the unit's WatchdogSec, or 0 when the watchdog
// is off for this process.
func watchdogInterval() time.Duration {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(usec) * time.Microsecond / 2
}

// NotifyReady tells systemd the agent is up (Type=notify units); a no-op
// elsewhere.
func NotifyReady() { sdNotify("READY=1") }
