// rabbitmq-c (Debian's librabbitmq-dev) for Swift, plus what Swift cannot
// call directly: amqp_login is variadic, so Swift marks it unavailable.
#ifndef KFARM_CRABBITMQ_H
#define KFARM_CRABBITMQ_H

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

/// amqp_login with SASL PLAIN, as a plain (non-variadic) function.
amqp_rpc_reply_t kfarm_amqp_login_plain(amqp_connection_state_t state, const char *vhost, int channel_max,
                                        int frame_max, int heartbeat, const char *user, const char *password);

#endif
