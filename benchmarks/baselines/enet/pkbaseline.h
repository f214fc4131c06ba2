/* Baselines for the PeerKit UDP benchmarks. Every function runs both ends on 127.0.0.1 in this process and
 * returns the elapsed seconds (negative on error). */
#ifndef PKBASELINE_H
#define PKBASELINE_H

/* ENet: `count` reliable messages of `size` bytes on one channel, client to server, all delivered. */
double pk_enet_reliable(int count, int size);

/* ENet: `count` unsequenced unreliable messages of `size` bytes; *received gets how many arrived. */
double pk_enet_unreliable(int count, int size, int *received);

/* ENet: `rounds` reliable `size`-byte ping-pongs; RTT = result / rounds. */
double pk_enet_pingpong(int rounds, int size);

/* ENet: the same ping-pong with the server host on its own thread and each side blocking in
 * enet_host_service(host, &event, 1) until a packet arrives: two thread wake-ups per round trip. */
double pk_enet_pingpong_threaded(int rounds, int size);

/* Raw UDP: `count` datagrams of `size` bytes sent with sendmmsg and read by a thread with recvmmsg;
 * *received gets how many arrived (no retransmission: losses are the socket buffers overflowing). */
double pk_udp_blast(int count, int size, int *received);

/* Raw UDP: `rounds` ping-pongs of `size` bytes with an echo thread; RTT = result / rounds. */
double pk_udp_pingpong(int rounds, int size);

#endif
