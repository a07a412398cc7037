// compat -- a Go program for vu's compatibility matrix. The Go runtime
// makes its system calls with inline syscall instructions (only SUD sees
// them), runs goroutines on threads it clones itself, installs handlers for
// every signal with SA_ONSTACK on its own sigaltstack, preempts with SIGURG
// and starts children with clone(CLONE_VFORK|CLONE_VM).
//
//	compat DIR        exercise files, goroutines, exec and signals in DIR
//	compat -read FILE print the first line of FILE (os.ReadFile)
package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// set by compat_cgo.go in a cgo build
var cgoPid = func() int { return os.Getpid() }

func check(err error) {
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-read" {
		b, err := os.ReadFile(os.Args[2])
		check(err)
		fmt.Println(strings.SplitN(string(b), "\n", 2)[0])
		return
	}
	dir := os.Args[1]
	check(os.Chdir(dir))
	check(os.MkdirAll("g/sub", 0o755))
	for i := 0; i < 200; i++ {
		check(os.WriteFile(fmt.Sprintf("g/sub/f%03d", i), []byte(strings.Repeat("y", i)), 0o644))
	}
	// 64 goroutines reading and stating in parallel
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for k := 0; k < 64; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			for i := k; i < 200; i += 64 {
				b, err := os.ReadFile(fmt.Sprintf("g/sub/f%03d", i))
				check(err)
				st, err := os.Stat(fmt.Sprintf("g/sub/f%03d", i))
				check(err)
				mu.Lock()
				total += len(b) + int(st.Size())
				mu.Unlock()
			}
		}(k)
	}
	wg.Wait()
	fmt.Println("goroutines read:", total)
	var names []string
	check(filepath.WalkDir("g", func(p string, d fs.DirEntry, err error) error {
		names = append(names, p)
		return err
	}))
	sort.Strings(names)
	fmt.Println("walk:", len(names), names[0], names[len(names)-1])
	wd, err := os.Getwd()
	check(err)
	fmt.Println("getwd is dir:", wd == dir)
	out, err := exec.Command("sh", "-c", "ls g/sub | wc -l; exit 3").Output()
	fmt.Printf("exec: %s %v\n", strings.TrimSpace(string(out)), err)
	out, err = exec.Command("cat", "g/sub/f005").CombinedOutput()
	fmt.Printf("exec cat: %q %v\n", out, err)
	// signals: a handler goroutine, a signal to ourselves, and busy
	// goroutines that need SIGURG preemption to let the GC stop the world
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	check(syscall.Kill(os.Getpid(), syscall.SIGUSR1))
	fmt.Println("signal:", <-c)
	stop := time.Now().Add(300 * time.Millisecond)
	var spin sync.WaitGroup
	for k := 0; k < 4; k++ {
		spin.Add(1)
		go func() {
			defer spin.Done()
			n := 0
			for time.Now().Before(stop) {
				n++
			}
		}()
	}
	for time.Now().Before(stop) {
		_ = make([]byte, 1<<16)
	}
	spin.Wait()
	fmt.Println("preemption: ok")
	fmt.Println("cgo pid matches:", cgoPid() == os.Getpid())
	check(os.RemoveAll("g"))
	_, err = os.Stat("g")
	fmt.Println("removed:", os.IsNotExist(err))
}
