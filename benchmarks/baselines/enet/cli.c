#include <stdio.h>

#include "pkbaseline.h"

int main(void)
{
    int received = 0;
    double t = pk_enet_reliable(100000, 64);
    printf("enet reliable 64 B: %.0f msg/s\n", 100000 / t);
    t = pk_enet_reliable(20000, 1200);
    printf("enet reliable 1200 B: %.1f MB/s\n", 20000 * 1200 / t / 1e6);
    t = pk_enet_unreliable(100000, 64, &received);
    printf("enet unreliable 64 B: %.0f msg/s, %.2f%% lost\n", received / t, 100.0 * (100000 - received) / 100000);
    t = pk_enet_pingpong(2000, 64);
    printf("enet ping-pong 64 B: %.1f us\n", t / 2000 * 1e6);
    t = pk_enet_pingpong_threaded(2000, 64);
    printf("enet ping-pong 64 B, server thread, blocking waits: %.1f us\n", t / 2000 * 1e6);
    t = pk_udp_blast(200000, 64, &received);
    printf("udp sendmmsg 64 B: %.0f msg/s, %.2f%% lost\n", received / t, 100.0 * (200000 - received) / 200000);
    t = pk_udp_blast(50000, 1200, &received);
    printf("udp sendmmsg 1200 B: %.1f MB/s, %.2f%% lost\n", received * 1200.0 / t / 1e6, 100.0 * (50000 - received) / 50000);
    t = pk_udp_pingpong(5000, 64);
    printf("udp ping-pong 64 B: %.1f us\n", t / 5000 * 1e6);
    return 0;
}
