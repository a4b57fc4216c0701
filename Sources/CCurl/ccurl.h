#ifndef TRE_CCURL_H
#define TRE_CCURL_H
#include <curl/curl.h>
#include <string.h>
#if defined(__linux__)
#include <netinet/in.h>
#include <netinet/tcp.h>
#endif

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one wrapper
// per type of argument, each passing it on unchanged.
static inline CURLcode tre_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode tre_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

// Strings (libcurl copies them, except CURLOPT_POSTFIELDS), lists, user data and buffers.
static inline CURLcode tre_curl_setopt_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode tre_curl_setopt_write(CURL *handle, CURLoption option, curl_write_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

static inline CURLcode tre_curl_setopt_xferinfo(CURL *handle, curl_xferinfo_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}

static inline CURLcode tre_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode tre_curl_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode tre_curl_getinfo_offset(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode tre_curl_setopt_debug(CURL *handle, curl_debug_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_DEBUGFUNCTION, callback);
}

static inline CURLcode tre_curl_setopt_sockopt(CURL *handle, curl_sockopt_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_SOCKOPTFUNCTION, callback);
}

static inline CURLcode tre_curl_setopt_closesocket(CURL *handle, curl_closesocket_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_CLOSESOCKETFUNCTION, callback);
}

// Every byte a connected socket has received so far, as the kernel counts them: an answer's
// status line and headers as they arrive (libcurl shows them to its callbacks only line by
// line), its body, TLS records. Linux's TCP_INFO `tcpi_bytes_received` (Linux 4.1 and later);
// -1 where it is not known. glibc's <netinet/tcp.h> declares `struct tcp_info` only up to
// `tcpi_total_retrans` and <linux/tcp.h> cannot be included beside it, so the field is read at
// its place in the kernel's struct (<linux/tcp.h>: a __u64 at byte 128), which the kernel keeps.
static inline long long tre_socket_bytes_received(curl_socket_t socket) {
#if defined(__linux__)
    unsigned char info[256];
    socklen_t length = sizeof info;
    if (socket < 0 || getsockopt(socket, IPPROTO_TCP, TCP_INFO, info, &length) != 0 || length < 136) {
        return -1;
    }
    unsigned long long received;
    memcpy(&received, info + 128, sizeof received);
    return (long long)received;
#else
    (void)socket;
    return -1;
#endif
}

// CURL_GLOBAL_DEFAULT is a macro of macros.
static inline CURLcode tre_curl_global_init(void) {
    return curl_global_init(CURL_GLOBAL_DEFAULT);
}
#endif
