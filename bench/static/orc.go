// orc-static-go FILE N -- orc.c in Go (CGO_ENABLED=0: a static program
// whose calls are the Go runtime's own syscall instructions): N iterations
// of os.Open+Read+Close and os.Stat of FILE, after a warm-up of N/10, as
// 5 batches; prints the same JSON line as orc.c.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

var size, sum int

func once(path string) {
	buf := make([]byte, 4096)
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n, err := f.Read(buf)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f.Close()
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	size, sum = n, 0
	for _, b := range buf[:n] {
		sum += int(b)
	}
}

func main() {
	n, err := 0, error(nil)
	if len(os.Args) == 3 {
		n, err = strconv.Atoi(os.Args[2])
	}
	if len(os.Args) != 3 || err != nil || n < 5 {
		fmt.Fprintln(os.Stderr, "usage: orc-static-go FILE N (N >= 5)")
		os.Exit(2)
	}
	path := os.Args[1]
	for i := 0; i < n/10+1; i++ {
		once(path)
	}
	batch := n / 5
	var best, total time.Duration
	for b := 0; b < 5; b++ {
		t0 := time.Now()
		for i := 0; i < batch; i++ {
			once(path)
		}
		t := time.Since(t0)
		total += t
		if b == 0 || t < best {
			best = t
		}
	}
	fmt.Printf("{\"op\":\"orc-stat\",\"ns\":%.1f,\"ns_mean\":%.1f,\"n\":%d,\"size\":%d,\"sum\":%d}\n",
		float64(best)/float64(batch), float64(total)/float64(batch*5), batch*5, size, sum)
}
