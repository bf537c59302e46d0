// The limit order book: dense price levels per side, plus an order map for L3 data.
//
// One class serves both clocks: the exchange side applies an event when it
// happens, the local side applies the same event when the feed delivers it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "mmsim/event.hpp"
#include "mmsim/limits.hpp"

#if defined(__GNUC__)
#define MMSIM_INLINE inline __attribute__((always_inline))
#else
#define MMSIM_INLINE inline
#endif

namespace mmsim {

constexpr int64_t kNoBid = std::numeric_limits<int64_t>::min();
constexpr int64_t kNoAsk = std::numeric_limits<int64_t>::max();

// The pages (of 4096 ticks) of every price a book has seen: both sides' levels and the
// trades. A price that would spread them over 2^22 pages (2^34 ticks) is a wrong tick
// size or a corrupt price: a DataError naming the event (docs/engine.md, "Bad input").
struct PriceSpan {
    static constexpr int kPageBits = 12;
    static constexpr int64_t kMaxPages = int64_t(1) << 22;
    int64_t lo_page = 1, hi_page = 0;  // empty: no price seen yet
    // The price (and its event) that first reached each end of the span: a refusal names the
    // price it is too far from, so a bad first price is seen even when the next one is refused.
    int64_t lo_px = 0, hi_px = 0, lo_event = -1, hi_event = -1;
    // px's page is already inside the span (so px is inside the engine's range, too).
    bool holds(int64_t px) const {
        const int64_t page = px >> kPageBits;
        return page >= lo_page && page <= hi_page;
    }
    // Take px (in the engine's range, price_ok) into the span; a DataError naming `index`
    // if the span would exceed kMaxPages.
    void take(int64_t px, int64_t index);
};

// One side of the book: lots per price, in pages of 4096 ticks allocated on first use.
// Set/get are O(1) through a page table; finding the next best after the best empties
// scans toward worse prices and skips empty pages by their level counts. Far-away
// levels (a REST snapshot's outliers) cost one page each, not a window spanning them.
//
// Memory is bounded: a side holds at most kMaxDensePages pages (33 MiB), over a table
// spanning at most kMaxTableSpan pages; a level beyond either (crafted data placing each
// level on its own page, or a book spread over more pages than any real one) is kept in
// a sorted map instead, at about 64 bytes a level. Real books use a few hundred pages at
// most (docs/engine.md, "Bad input"), so the map is empty and costs one branch on a miss.
class BookSide {
  public:
    static constexpr int kPageBits = PriceSpan::kPageBits;
    static constexpr int64_t kPage = int64_t(1) << kPageBits;
    static constexpr size_t kMaxDensePages = 1024;
    static constexpr int64_t kMaxTableSpan = int64_t(1) << 16;

    // `span`: the price span this side shares with the rest of its book (its own if null).
    explicit BookSide(int sign, PriceSpan *span = nullptr)
        : sign_(sign), span_(span ? span : &own_span_), best_(sign > 0 ? kNoBid : kNoAsk) {}
    ~BookSide();
    BookSide(const BookSide &) = delete;
    BookSide &operator=(const BookSide &) = delete;

    int64_t best() const { return best_; }
    bool empty() const { return nlevels_ == 0; }
    int64_t qty(int64_t px) const {
        const uint64_t pg = static_cast<uint64_t>((px >> kPageBits) - base_page_);
        if (pg >= table_.size() || !table_[pg]) return far_.empty() ? 0 : far_qty(px);
        return table_[pg][px & (kPage - 1)];
    }
    int64_t best_qty() const { return nlevels_ ? qty(best_) : 0; }
    // Set a level; returns its previous quantity. qty >= 0. Inline: this is the hot path.
    // `index` is the event's position, named by the DataError of a price the page table
    // cannot reach.
    MMSIM_INLINE int64_t set(int64_t px, int64_t qty, int64_t index) {
        uint64_t pg = static_cast<uint64_t>((px >> kPageBits) - base_page_);
        if (pg >= table_.size() || !table_[pg]) {
            if (qty == 0 && far_.empty()) return 0;
            pg = page_for(px, qty, index);
            if (pg == kFar) return set_far(px, qty);
        }
        int64_t *page = table_[pg];
        const int64_t off = px & (kPage - 1);
        const int64_t prev = page[off];
        page[off] = qty;
        if (prev == 0) {
            if (qty == 0) return 0;
            ++nlevels_;
            ++counts_[pg];
            bits(page)[off >> 6] |= uint64_t(1) << (off & 63);
            if (nlevels_ == 1 || (sign_ > 0 ? px > best_ : px < best_)) best_ = px;
        } else if (qty == 0) {
            --nlevels_;
            --counts_[pg];
            bits(page)[off >> 6] &= ~(uint64_t(1) << (off & 63));
            if (px == best_) find_best_from(px);
        }
        return prev;
    }
    // Empty the side.
    void clear();
    // Top n levels from the best outward; fills the rest with (0, 0). Returns levels found.
    int top(int n, int64_t *px, int64_t *qty) const;
    // Pages of 4096 ticks this side holds, and levels kept outside them (for tests).
    size_t dense_pages() const { return pages_.size(); }
    size_t far_levels() const { return far_.size(); }
    // Remove every level at or through `limit` (bids >= limit, asks <= limit).
    // `index`: the event doing it (removed_at).
    void remove_through(int64_t limit, int64_t index = -1) {
        if (nlevels_ && (sign_ > 0 ? best_ >= limit : best_ <= limit)) remove_through_slow(limit, index);
    }
    // True when `px` is at or through the best on this side, i.e. would trade with it
    // from the other side: for asks px >= best ask; for bids px <= best bid.
    bool crossed_by(int64_t px) const {
        if (!nlevels_) return false;
        return sign_ > 0 ? px <= best_ : px >= best_;
    }
    // Lots on this side at or through `px` from the other side's point of view (bids >= px,
    // asks <= px): what an order of the other side at px could trade with.
    int64_t qty_through(int64_t px) const;

  private:
    // A page is kPage level sizes followed by a bitmap of its non-empty levels, so the
    // next level is found with a bit scan instead of a walk over empty ticks.
    static constexpr int64_t kWords = kPage / 64;
    static constexpr uint64_t kFar = ~uint64_t(0);  // page_for: the level lives in far_
    static uint64_t *bits(int64_t *page) { return reinterpret_cast<uint64_t *>(page + kPage); }
    static const uint64_t *bits(const int64_t *page) { return reinterpret_cast<const uint64_t *>(page + kPage); }
    // The page of px, allocated (growing the table, moving its far levels in) when the
    // budget allows; kFar when the level belongs in far_ (or qty is 0). A price whose
    // level would spread the book's prices (PriceSpan) over more than 2^34 ticks is a
    // DataError naming `index`.
    uint64_t page_for(int64_t px, int64_t qty, int64_t index);
    int64_t set_far(int64_t px, int64_t qty);
    int64_t far_qty(int64_t px) const;
    // Next level at or worse than px (bids: <= px, asks: >= px); kNoBid/kNoAsk if none.
    int64_t next_level(int64_t px) const;
    int64_t next_dense(int64_t px) const;
    int top_merged(int want, int64_t *px, int64_t *qty) const;
    void find_best_from(int64_t px);
    void remove_through_slow(int64_t limit, int64_t index);
    int sign_;
    int64_t base_page_ = 0;                      // page number of table_[0]
    std::vector<int64_t *> table_;               // page -> levels (nullptr: never used)
    std::vector<int32_t> counts_;                // non-empty levels per page
    std::vector<int64_t *> pages_;               // owns the pages (from a process-wide pool)
    std::map<int64_t, int64_t> far_;             // levels without a page (beyond the budget or the table)
    PriceSpan own_span_;                         // a side without a book (tests)
    PriceSpan *span_;                            // pages of every price the book has seen (the 2^34-tick rule)
    int64_t best_;
    int64_t nlevels_ = 0;

  public:
    // The levels (price, lots before) the last remove_through took (or Book::uncross reduced),
    // and the event it was for (-1: none yet): a run's queue position notes the size its
    // level had, and moves on its net change (Variant::levels_removed).
    std::vector<std::pair<int64_t, int64_t>> removed;
    int64_t removed_at = -1;
};

struct L3Order {
    int64_t qty;
    int64_t price;
    int64_t seq;  // arrival order across the whole book (FIFO priority)
    int8_t side;
};

// Open-addressing hash map order id -> L3Order, linear probing with backward-shift
// deletion; grows by doubling, so inserts allocate only O(log n) times per run.
class OrderMap {
  public:
    OrderMap() { rehash(1024); }
    L3Order *find(int64_t id);
    // Returns false when the id is already present.
    bool insert(int64_t id, const L3Order &o);
    void erase(int64_t id);
    void clear();
    int64_t size() const { return size_; }
    // Call f(id, order) for every order (in no particular order).
    template <class F>
    void for_each(F &&f) const {
        for (size_t j = 0; j < used_.size(); ++j)
            if (used_[j]) f(keys_[j], vals_[j]);
    }
    void swap(OrderMap &o) noexcept {
        keys_.swap(o.keys_);
        vals_.swap(o.vals_);
        used_.swap(o.used_);
        std::swap(mask_, o.mask_);
        std::swap(size_, o.size_);
    }

  private:
    static uint64_t hash(int64_t id) {
        uint64_t z = static_cast<uint64_t>(id) + 0x9e3779b97f4a7c15ULL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    void rehash(size_t cap);
    std::vector<int64_t> keys_;
    std::vector<L3Order> vals_;
    std::vector<uint8_t> used_;
    size_t mask_ = 0;
    int64_t size_ = 0;
};

// What an event did to the book, for the engine's queue and fill logic.
struct BookChange {
    int8_t side = 0;        // side of the level that changed (0: none; a CLEAR: the side(s) it cleared)
    int64_t price = 0;
    int64_t prev_qty = 0;   // level qty before
    int64_t new_qty = 0;    // level qty after
    int64_t order_seq = -1; // L3: priority of the order concerned
    bool book_changed = false;
};

class Book {
  public:
    Book() : bids(1, &span_), asks(-1, &span_) {}
    Book(const Book &) = delete;
    Book &operator=(const Book &) = delete;

  private:
    PriceSpan span_;  // both sides' levels and the trades (declared first: the sides point to it)

  public:
    BookSide bids, asks;
    OrderMap orders;
    int64_t next_seq = 1;
    // The venue's trading status (STATUS events); a replay starts trading.
    TradingStatus status = TradingStatus::Trading;
    bool trading() const { return status == TradingStatus::Trading; }
    // A STATUS of this venue message resumed trading (cleared by end_message).
    bool resuming = false;
    // The stale-crossing rule applies (a DEPTH at or through the other side's best removes it).
    bool stale_rule() const { return trading() && !resuming; }
    // Market-by-order data: some ADD was applied (L3 rules apply to our orders).
    bool l3 = false;

    BookSide &side(int s) { return s > 0 ? bids : asks; }
    const BookSide &side(int s) const { return s > 0 ? bids : asks; }
    // Apply event `e` (index `i`, for error messages). Throws DataError on bad data.
    // L2 depth updates and trades take the inline path; the rest, and errors, apply_slow.
    MMSIM_INLINE BookChange apply(const Event &e, int64_t i) {
        BookChange c;
        // (A DEPTH price is checked when it needs a new page of the book: BookSide::page_for.)
        if (e.kind == static_cast<uint8_t>(Kind::Depth) && (e.side == 1 || e.side == -1) && e.qty >= 0) {
            BookSide &s = side(e.side);
            c.side = e.side;
            c.price = e.price;
            c.new_qty = e.qty;
            c.prev_qty = s.set(e.price, e.qty, i);
            c.book_changed = true;
            // A level on one side at or through the other side's best means those
            // opposite levels are stale (consumed); an L2 feed removes them later. Not while
            // the venue is not trading, nor in the message that resumes it: nothing matched,
            // so a crossed book is real (a pre-open), and the venue's updates at the resume
            // are its auction (end_message uncrosses what they leave crossed).
            if (e.qty > 0 && stale_rule()) side(-e.side).remove_through(e.price, i);
            return c;
        }
        // A trade's price must be inside the span of prices the book has seen, as a level's
        // (a trade elsewhere widens it, or is refused, in apply_slow).
        if (e.kind == static_cast<uint8_t>(Kind::Trade) && e.side >= -1 && e.side <= 1 && e.qty > 0 &&
            span_.holds(e.price))
            return c;
        return apply_slow(e, i);
    }
    BookChange apply_slow(const Event &e, int64_t i);
    // Priority of the next order to arrive. One of our orders arriving now takes this
    // number without consuming it: every book order with a lower number is ahead of it,
    // and the next market order (which gets this number) is behind it. So our orders
    // never change the shared book, whichever runs share it.
    int64_t peek_seq() const { return next_seq; }
    // Lots of the orders resting at side/price with a priority before `seq` (L3; a walk
    // over the whole order map: for snapshots and the checked mode, not per event).
    int64_t qty_before(int8_t side, int64_t price, int64_t seq) const;
    // ... with a priority before `seq` or in [win_lo, win_hi).
    int64_t qty_before(int8_t side, int64_t price, int64_t seq, int64_t win_lo, int64_t win_hi) const;
    // (seq, lots) of the orders resting at side/price with a priority at or after `from`, unsorted.
    void orders_from(int8_t side, int64_t price, int64_t from, std::vector<std::pair<int64_t, int64_t>> &out) const;
    void reset();
    // The venue message whose last event is `last` is applied (every replay calls it at
    // each message's end). When a STATUS of it resumed trading, an L2 book still crossed
    // after it is uncrossed as the venue's opening auction matches it: the best bid and
    // best ask trade lot for lot while they cross. Each side's `removed` then lists its
    // levels this reduced (price, lots before), removed_at `last`. True when the book changed.
    bool end_message(int64_t last) {
        if (!resuming) return false;
        resuming = false;
        return trading() && !l3 && uncross(last);
    }
    bool uncross(int64_t last);

  private:
    // The orders a CLEAR removed, kept for the rest of its venue message (events at
    // stash_ts_): an ADD there that re-lists one of them at the same side and price keeps
    // its priority (the venue re-listing its book is not those orders joining the queue).
    OrderMap stash_;
    int64_t stash_ts_ = std::numeric_limits<int64_t>::min();
    void clear_orders(int8_t side, int64_t ts);
};

}  // namespace mmsim
