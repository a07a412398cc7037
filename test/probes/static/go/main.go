// static-probe (Go, CGO_ENABLED=0): 32 goroutines read os.Args[1] and a child runs; prints what they saw
package main

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
)

func main() {
	var wg sync.WaitGroup
	res := make([]string, 32)
	for i := range res {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				b, err := os.ReadFile(os.Args[1])
				if err != nil {
					res[i] = err.Error()
					return
				}
				res[i] = string(b)
			}
		}(i)
	}
	wg.Wait()
	same := true
	for _, r := range res {
		same = same && r == res[0]
	}
	out, err := exec.Command("/bin/cat", os.Args[1]).Output()
	fmt.Printf("%v %q child=%q %v\n", same, res[0], string(out), err)
}
