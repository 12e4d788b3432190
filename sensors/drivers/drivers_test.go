package drivers

import (
	"context"
	"testing"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/sensortest"
)

func TestAllMatchesDescribe(t *testing.T) {
	all := All()
	infos := Describe()
	if len(all) != len(infos) {
		t.Fatalf("All has %d drivers, Describe %d", len(all), len(infos))
	}
	for i, d := range infos {
		if all[d.Name] == nil {
			t.Errorf("Describe lists %q, All does not", d.Name)
		}
		if d.Description == "" || d.Channels == "" || d.Bus == "" {
			t.Errorf("%q: incomplete description %+v", d.Name, d)
		}
		if i > 0 && infos[i-1].Name >= d.Name {
			t.Errorf("Describe not sorted at %q", d.Name)
		}
	}
	delete(all, "sim")
	if All()["sim"] == nil {
		t.Error("All returned a shared map: deleting from one copy changed the next")
	}
}

func TestOpenSim(t *testing.T) {
	open := All()["sim"]
	s, err := open(context.Background(), sensors.Spec{Name: "pump", Driver: "sim",
		Options: sensortest.Options("realtime: false\nchannels: [pressure]")}, &sensortest.Buses{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	smp := sensors.Sample{Values: make([]float64, 1)}
	if err := s.Read(context.Background(), &smp); err != nil {
		t.Fatal(err)
	}
	if !smp.Valid || smp.Values[0] < 2e5 || smp.Values[0] > 4e5 {
		t.Errorf("pump pressure %v Pa valid=%v, want about 3 bar", smp.Values[0], smp.Valid)
	}
}
