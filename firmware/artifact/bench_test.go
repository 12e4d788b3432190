package artifact

import (
	"fmt"
	"testing"

	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// BenchmarkMQTTTransfer fetches a 4 MiB artifact in 256 KiB chunks from a
// local Mosquitto into a fresh dir per iteration (fsync per chunk included);
// MB/s is the transfer rate.
func BenchmarkMQTTTransfer(b *testing.B) {
	br := uplinktest.StartBroker(b, uplinktest.BrokerOptions{})
	data := testData(4<<20, 20)
	publishTest(b, br.URL(), data)
	want := Want{SHA256: shaHex(data), Size: int64(len(data))}
	b.SetBytes(want.Size)
	for i := 0; b.Loop(); i++ {
		src := mqttSource(br.URL())
		src.MQTT.ClientID = fmt.Sprintf("bench-%d", i)
		if _, err := Fetch(b.Context(), src, want, Options{Dir: b.TempDir(), MaxSize: want.Size}); err != nil {
			b.Fatal(err)
		}
	}
}
