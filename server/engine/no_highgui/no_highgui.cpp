// An empty stand-in for OpenCV's highgui (see server/engine/no_highgui/CMakeLists.txt): Debian's libtorch_cpu lists
// libopencv_highgui as needed but imports no symbol from it, and the real one loads Qt 5 into our Qt 6 process.
// Nothing is defined here on purpose: a libtorch that did call into highgui would fail to start with "undefined
// symbol" (test_api checks the process under LD_BIND_NOW), never silently run without it.
