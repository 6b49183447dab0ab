#include "hiredisreply.hpp"

#include <hiredis/hiredis.h>

namespace portalocker::redis {

Reply from_hiredis(const redisReply* raw) {
    Reply reply;
    switch (raw->type) {
    case REDIS_REPLY_STATUS:
        reply.type = Reply::Type::status;
        break;
    case REDIS_REPLY_ERROR:
        reply.type = Reply::Type::error;
        break;
    case REDIS_REPLY_STRING:
        reply.type = Reply::Type::string;
        break;
    case REDIS_REPLY_INTEGER:
        reply.type = Reply::Type::integer;
        break;
    case REDIS_REPLY_ARRAY:
        reply.type = Reply::Type::array;
        break;
    default:
        reply.type = Reply::Type::nil;
        break;
    }
    if (raw->type == REDIS_REPLY_STATUS || raw->type == REDIS_REPLY_ERROR ||
        raw->type == REDIS_REPLY_STRING)
        reply.text.assign(raw->str, raw->len);
    if (raw->type == REDIS_REPLY_INTEGER)
        reply.integer = raw->integer;
    if (raw->type == REDIS_REPLY_ARRAY) {
        reply.elements.reserve(raw->elements);
        for (std::size_t i = 0; i < raw->elements; ++i)
            reply.elements.push_back(from_hiredis(raw->element[i]));
    }
    return reply;
}

} // namespace portalocker::redis
