package uplink_test

import (
	"context"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

const benchWindow = 1000

var benchPayload = make([]byte, 200)

// BenchmarkPahoRawQoS1 is the baseline the delivery engine is measured
// against: a bare paho client publishing 200-byte QoS1 messages with 1000 in
// flight to a local mosquitto.
func BenchmarkPahoRawQoS1(b *testing.B) {
	br := uplinktest.StartBroker(b, uplinktest.BrokerOptions{})
	o := paho.NewClientOptions().AddBroker(br.URL()).SetClientID("raw").SetProtocolVersion(4)
	cli := paho.NewClient(o)
	if tok := cli.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("connect: %v", tok.Error())
	}
	defer cli.Disconnect(100)
	ring := make([]paho.Token, benchWindow)
	b.SetBytes(int64(len(benchPayload)))
	b.ResetTimer()
	cpu := uplinktest.CPUTime()
	for i := range b.N {
		if t := ring[i%benchWindow]; t != nil {
			t.Wait()
			if t.Error() != nil {
				b.Fatal(t.Error())
			}
		}
		ring[i%benchWindow] = cli.Publish("bench/raw", 1, false, benchPayload)
	}
	for _, t := range ring {
		if t != nil && (!t.WaitTimeout(10*time.Second) || t.Error() != nil) {
			b.Fatal(t.Error())
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
	b.ReportMetric(float64((uplinktest.CPUTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
}

// BenchmarkClientPublishQoS1 is the same load through uplink.Client, whose
// Publish waits for one of its 1000 in-flight slots.
func BenchmarkClientPublishQoS1(b *testing.B) {
	br := uplinktest.StartBroker(b, uplinktest.BrokerOptions{})
	c, err := uplink.New(uplink.Config{Broker: br.URL(), ClientID: "wrapped", InFlight: benchWindow})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	if err := c.WaitConnected(cctx); err != nil {
		b.Fatal(err)
	}
	var last uplink.Token
	b.SetBytes(int64(len(benchPayload)))
	b.ResetTimer()
	cpu := uplinktest.CPUTime()
	for range b.N {
		if last, err = c.Publish(ctx, "bench/wrapped", 1, false, benchPayload); err != nil {
			b.Fatal(err)
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := last.Wait(wctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
	b.ReportMetric(float64((uplinktest.CPUTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
}
