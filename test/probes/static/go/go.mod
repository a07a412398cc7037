module staticprobe

go 1.19
