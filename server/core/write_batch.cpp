#include "core/write_batch.h"

#include <QThread>

namespace smartbot {

WriteBatch::WriteBatch(const Storage &storage, QObject *parent) : QObject(parent), storage_(storage) {}

WriteBatch::~WriteBatch()
{
    flush();
}

void WriteBatch::add(Write write, Then then, QObject *context)
{
    std::lock_guard lock(mutex_);
    pending_.push_back({std::move(write), std::move(then), context, context != nullptr});
    if (scheduled_)
        return;
    scheduled_ = true;
    // Queued: runs after the events already waiting (the other replies of the engine's step), which join this batch.
    QMetaObject::invokeMethod(
        this, [this] { flush(); }, Qt::QueuedConnection);
}

void WriteBatch::finish(Item &item, const Result<void> &result) const
{
    if (item.then && (!item.hasContext || item.context))
        item.then(result);
}

void WriteBatch::flush()
{
    if (QThread::currentThread() != thread())
        return;
    std::vector<Item> items;
    {
        std::lock_guard lock(mutex_);
        items.swap(pending_);
        scheduled_ = false;
    }
    if (items.empty())
        return;
    const Result<void> all = storage_.transaction(0, [&items](const Storage::Transaction &tx) -> Result<void> {
        for (Item &item : items)
            if (auto r = item.write(tx); !r)
                return r;
        return {};
    });
    if (all || items.size() == 1) {
        if (all) {
            std::lock_guard lock(mutex_);
            ++commits_;
        }
        for (Item &item : items)
            finish(item, all);
        return;
    }
    for (Item &item : items) { // one bad write, or the database is gone: each on its own
        const Result<void> one =
            storage_.transaction(0, [&item](const Storage::Transaction &tx) { return item.write(tx); });
        if (one) {
            std::lock_guard lock(mutex_);
            ++commits_;
        }
        finish(item, one);
    }
}

size_t WriteBatch::pending() const
{
    std::lock_guard lock(mutex_);
    return pending_.size();
}

quint64 WriteBatch::commits() const
{
    std::lock_guard lock(mutex_);
    return commits_;
}

} // namespace smartbot
