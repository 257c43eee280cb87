// WriteBatch: the writes that requests make on their way out (a chat turn, usage counters), gathered while the server
// thread works through the events that are ready, and committed together in one transaction when its event loop
// comes back round. A write's `then` runs after its commit: a reply sent from there is sent once its turn is stored,
// so a client that has its reply finds the turn, on this server and on every server of a shared database.
// Why: a commit costs about the same whatever it holds (on SQLite ~20 fcntl and ~20 pwrite calls, strace under
// bench_chat_qps), and a seed chat request made four (usage at the start and the end, the conversation's row, its
// turn): a third of the server thread's time. The engine finishes several sequences per step, and their replies
// arrive in one pass of the event loop: their writes share a commit.
// A write that fails fails its batch, which is then run again one write per transaction, so that one bad write (a
// turn for a conversation another server has just removed) costs no other its place. So a write must be one that can
// run again after a rollback (it reads nothing it changed outside the transaction).
// Threading: add() from any thread; batches commit on the thread this object lives on (the server thread), where the
// `then`s run. flush() elsewhere does nothing.
#pragma once

#include <QObject>
#include <QPointer>
#include <functional>
#include <mutex>
#include <vector>

#include "core/storage.h"

namespace smartbot {

class WriteBatch : public QObject {
public:
    using Write = std::function<Result<void>(const Storage::Transaction &)>;
    using Then = std::function<void(const Result<void> &)>;

    explicit WriteBatch(const Storage &storage, QObject *parent = nullptr);
    ~WriteBatch() override; // commits what is pending (its `then`s run when their context is still there)

    // Queues write for the next batch. then (optional) runs once it is committed or has failed, unless context was
    // given and is gone by then (a reply's socket).
    void add(Write write, Then then = {}, QObject *context = nullptr);
    // Commits what is pending now: readers call it first so that they see what was written before them.
    void flush();

    size_t pending() const;
    quint64 commits() const; // transactions committed so far

private:
    struct Item {
        Write write;
        Then then;
        QPointer<QObject> context;
        bool hasContext = false;
    };
    void finish(Item &item, const Result<void> &result) const;

    const Storage &storage_;
    mutable std::mutex mutex_;
    std::vector<Item> pending_;
    bool scheduled_ = false; // a flush is queued on this object's thread
    quint64 commits_ = 0;
};

} // namespace smartbot
