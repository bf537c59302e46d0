// Book: dense price levels and the L3 order map.
#include "mmsim/book.hpp"

#include <algorithm>
#include <mutex>
#include <string>

#include "mmsim/errors.hpp"

namespace mmsim {

void PriceSpan::take(int64_t px, int64_t index) {
    const int64_t page = px >> kPageBits;
    if (hi_page < lo_page) {  // the first price
        lo_page = hi_page = page;
        lo_px = hi_px = px;
        lo_event = hi_event = index;
        return;
    }
    const int64_t lo = std::min(lo_page, page), hi = std::max(hi_page, page);
    // A span wider than this means a wrong tick size or a corrupt price (this one, or the
    // one at the other end: name both).
    if (hi - lo >= kMaxPages) {
        const bool below = page < lo_page;
        throw DataError(index, "price " + std::to_string(px) + " is too far from price " +
                                   std::to_string(below ? hi_px : lo_px) + " (event " +
                                   std::to_string(below ? hi_event : lo_event) +
                                   ") for one book: more than 2^22 pages of 4096 ticks (about 2^34 ticks) "
                                   "apart; check the tick size");
    }
    if (page < lo_page) {
        lo_page = page;
        lo_px = px;
        lo_event = index;
    }
    if (page > hi_page) {
        hi_page = page;
        hi_px = px;
        hi_event = index;
    }
}

namespace {
// Pages of finished books, kept for the next book (the next pass of a sweep or a benchmark):
// a page from here costs a memset, a fresh one the kernel's page faults and zeroing.
constexpr size_t kMaxPooledPages = 1024;  // 33 MiB
struct PagePool {
    std::mutex mutex;
    std::vector<int64_t *> free;
};
PagePool &page_pool() {
    static PagePool *pool = new PagePool;  // never destroyed: books may outlive static destruction
    return *pool;
}
}  // namespace

BookSide::~BookSide() {
    PagePool &pool = page_pool();
    std::lock_guard<std::mutex> lock(pool.mutex);
    for (int64_t *page : pages_) {
        if (pool.free.size() < kMaxPooledPages) pool.free.push_back(page);
        else delete[] page;
    }
}

uint64_t BookSide::page_for(int64_t px, int64_t qty, int64_t index) {
    if (qty == 0) return kFar;  // a removal: the level, if there is one, is in far_
    // A level outside the price range (which is whole pages, so a price on a page already
    // held is inside it). Every other event kind's price is checked before it is set.
    if (!price_ok(px))
        throw DataError(index, "DEPTH has price " + std::to_string(px) +
                                   " outside the range the engine accepts ([-2^62, 2^62) ticks)");
    span_->take(px, index);
    const int64_t page = px >> kPageBits;
    if (pages_.size() >= kMaxDensePages) return kFar;
    if (table_.empty()) {
        base_page_ = page;
        table_.assign(1, nullptr);
        counts_.assign(1, 0);
    } else if (page < base_page_ || page >= base_page_ + static_cast<int64_t>(table_.size())) {
        const int64_t tlo = std::min(page, base_page_);
        const int64_t thi = std::max(page + 1, base_page_ + static_cast<int64_t>(table_.size()));
        if (thi - tlo > kMaxTableSpan) return kFar;
        std::vector<int64_t *> t(static_cast<size_t>(thi - tlo), nullptr);
        std::vector<int32_t> c(static_cast<size_t>(thi - tlo), 0);
        std::copy(table_.begin(), table_.end(), t.begin() + (base_page_ - tlo));
        std::copy(counts_.begin(), counts_.end(), c.begin() + (base_page_ - tlo));
        table_.swap(t);
        counts_.swap(c);
        base_page_ = tlo;
    }
    const auto pg = static_cast<uint64_t>(page - base_page_);
    if (!table_[pg]) {
        int64_t *p = nullptr;
        {
            PagePool &pool = page_pool();
            std::lock_guard<std::mutex> lock(pool.mutex);
            if (!pool.free.empty()) {
                p = pool.free.back();
                pool.free.pop_back();
            }
        }
        if (p) std::fill(p, p + kPage + kWords, 0);
        else p = new int64_t[kPage + kWords]();
        pages_.push_back(p);
        table_[pg] = p;
        // Levels of this page kept in far_ (the table could not reach it before) move in.
        const int64_t lo_px = page * kPage;
        for (auto it = far_.lower_bound(lo_px); it != far_.end() && it->first < lo_px + kPage;) {
            const int64_t off = it->first - lo_px;
            p[off] = it->second;
            bits(p)[off >> 6] |= uint64_t(1) << (off & 63);
            ++counts_[pg];
            it = far_.erase(it);
        }
    }
    return pg;
}

int64_t BookSide::set_far(int64_t px, int64_t qty) {
    auto it = far_.find(px);
    if (it == far_.end()) {
        if (qty == 0) return 0;
        far_.emplace(px, qty);
        ++nlevels_;
        if (nlevels_ == 1 || (sign_ > 0 ? px > best_ : px < best_)) best_ = px;
        return 0;
    }
    const int64_t prev = it->second;
    if (qty > 0) {
        it->second = qty;
        return prev;
    }
    far_.erase(it);
    --nlevels_;
    if (px == best_) find_best_from(px);
    return prev;
}

int64_t BookSide::far_qty(int64_t px) const {
    const auto it = far_.find(px);
    return it == far_.end() ? 0 : it->second;
}

int64_t BookSide::next_level(int64_t px) const {
    const int64_t d = next_dense(px);
    if (far_.empty()) return d;
    if (sign_ > 0) {
        auto it = far_.upper_bound(px);
        return it == far_.begin() ? d : std::max(d, std::prev(it)->first);
    }
    auto it = far_.lower_bound(px);
    return it == far_.end() ? d : std::min(d, it->first);
}

int BookSide::top_merged(int want, int64_t *px, int64_t *qty) const {
    int k = 0;
    for (int64_t p = best_; k < want;) {
        px[k] = p;
        qty[k++] = this->qty(p);
        if (k < want) p = next_level(sign_ > 0 ? p - 1 : p + 1);  // |p| <= 2^62: no wrap
    }
    return k;
}

int64_t BookSide::next_dense(int64_t px) const {
    const int64_t np = static_cast<int64_t>(table_.size());
    int64_t pg = (px >> kPageBits) - base_page_;
    int64_t off = px & (kPage - 1);
    if (sign_ > 0) {  // at or below px
        if (pg >= np) { pg = np - 1; off = kPage - 1; }
        for (; pg >= 0; --pg, off = kPage - 1) {
            if (counts_[pg] == 0) continue;
            const uint64_t *b = bits(table_[pg]);
            int64_t w = off >> 6;
            uint64_t m = b[w] & (~uint64_t(0) >> (63 - (off & 63)));
            while (true) {
                if (m) return (base_page_ + pg) * kPage + (w << 6) + (63 - __builtin_clzll(m));
                if (--w < 0) break;
                m = b[w];
            }
        }
        return kNoBid;
    }
    if (pg < 0) { pg = 0; off = 0; }  // at or above px
    for (; pg < np; ++pg, off = 0) {
        if (counts_[pg] == 0) continue;
        const uint64_t *b = bits(table_[pg]);
        int64_t w = off >> 6;
        uint64_t m = b[w] & (~uint64_t(0) << (off & 63));
        while (true) {
            if (m) return (base_page_ + pg) * kPage + (w << 6) + __builtin_ctzll(m);
            if (++w >= kWords) break;
            m = b[w];
        }
    }
    return kNoAsk;
}

void BookSide::find_best_from(int64_t px) {
    best_ = nlevels_ == 0 ? (sign_ > 0 ? kNoBid : kNoAsk) : next_level(px);
}

void BookSide::clear() {
    for (size_t pg = 0; pg < table_.size(); ++pg) {
        if (counts_[pg]) {
            std::fill(table_[pg], table_[pg] + kPage + kWords, 0);
            counts_[pg] = 0;
        }
    }
    far_.clear();
    nlevels_ = 0;
    best_ = sign_ > 0 ? kNoBid : kNoAsk;
}

int BookSide::top(int n, int64_t *px, int64_t *qty) const {
    // Walk the pages' bitmaps from the best outward: one bit scan per level.
    int k = 0;
    // Stop at n levels or when every level of the side has been seen.
    const int want = static_cast<int>(std::min<int64_t>(n, nlevels_));
    if (want > 0 && !far_.empty()) {
        k = top_merged(want, px, qty);
    } else if (want > 0) {
        const int64_t np = static_cast<int64_t>(table_.size());
        int64_t pg = (best_ >> kPageBits) - base_page_;
        int64_t off = best_ & (kPage - 1);
        if (sign_ > 0) {
            for (; pg >= 0 && k < want; --pg, off = kPage - 1) {
                if (!counts_[pg]) continue;
                const int64_t *page = table_[pg];
                const uint64_t *b = bits(page);
                const int64_t first = (base_page_ + pg) * kPage;
                int64_t w = off >> 6;
                uint64_t m = b[w] & (~uint64_t(0) >> (63 - (off & 63)));
                for (;;) {
                    while (m && k < want) {
                        const int bit = 63 - __builtin_clzll(m);
                        const int64_t j = (w << 6) + bit;
                        px[k] = first + j;
                        qty[k++] = page[j];
                        m &= ~(uint64_t(1) << bit);
                    }
                    if (k >= want || --w < 0) break;
                    m = b[w];
                }
            }
        } else {
            for (; pg < np && k < want; ++pg, off = 0) {
                if (!counts_[pg]) continue;
                const int64_t *page = table_[pg];
                const uint64_t *b = bits(page);
                const int64_t first = (base_page_ + pg) * kPage;
                int64_t w = off >> 6;
                uint64_t m = b[w] & (~uint64_t(0) << (off & 63));
                for (;;) {
                    while (m && k < want) {
                        const int64_t j = (w << 6) + __builtin_ctzll(m);
                        px[k] = first + j;
                        qty[k++] = page[j];
                        m &= m - 1;
                    }
                    if (k >= want || ++w >= kWords) break;
                    m = b[w];
                }
            }
        }
    }
    for (int j = k; j < n; ++j) px[j] = qty[j] = 0;
    return k;
}

int64_t BookSide::qty_through(int64_t limit) const {
    // Saturating: levels of up to 2^63-1 lots each may sum past int64.
    int64_t sum = 0;
    const auto add = [&sum](int64_t q) {
        if (__builtin_add_overflow(sum, q, &sum)) sum = std::numeric_limits<int64_t>::max();
    };
    if (sign_ > 0) {
        for (int64_t px = nlevels_ ? best_ : kNoBid; px != kNoBid && px >= limit; px = next_level(px - 1)) add(qty(px));
    } else {
        for (int64_t px = nlevels_ ? best_ : kNoAsk; px != kNoAsk && px <= limit; px = next_level(px + 1)) add(qty(px));
    }
    return sum;
}

void BookSide::remove_through_slow(int64_t limit, int64_t index) {
    removed.clear();  // its capacity stays: this allocates only when more levels go at once than ever before
    removed_at = index;
    while (nlevels_ && (sign_ > 0 ? best_ >= limit : best_ <= limit)) {
        removed.emplace_back(best_, qty(best_));
        set(best_, 0, -1);  // removing a level never allocates
    }
}

bool Book::uncross(int64_t last) {
    if (bids.empty() || asks.empty() || bids.best() < asks.best()) return false;
    bids.removed.clear();
    asks.removed.clear();
    bids.removed_at = asks.removed_at = last;
    while (!bids.empty() && !asks.empty() && bids.best() >= asks.best()) {
        const int64_t b = bids.best(), a = asks.best();
        const int64_t qb = bids.qty(b), qa = asks.qty(a), m = std::min(qb, qa);
        // A level is listed once, with its size before the uncross (a bid level may trade
        // with several ask levels).
        if (bids.removed.empty() || bids.removed.back().first != b) bids.removed.emplace_back(b, qb);
        if (asks.removed.empty() || asks.removed.back().first != a) asks.removed.emplace_back(a, qa);
        bids.set(b, qb - m, -1);  // lowering a level never allocates
        asks.set(a, qa - m, -1);
    }
    return true;
}

// ---------------------------------------------------------------- OrderMap

void OrderMap::rehash(size_t cap) {
    std::vector<int64_t> ok;
    std::vector<L3Order> ov;
    std::vector<uint8_t> ou;
    ok.swap(keys_);
    ov.swap(vals_);
    ou.swap(used_);
    keys_.assign(cap, 0);
    vals_.assign(cap, L3Order{});
    used_.assign(cap, 0);
    mask_ = cap - 1;
    size_ = 0;
    for (size_t j = 0; j < ou.size(); ++j)
        if (ou[j]) insert(ok[j], ov[j]);
}

L3Order *OrderMap::find(int64_t id) {
    size_t j = hash(id) & mask_;
    while (used_[j]) {
        if (keys_[j] == id) return &vals_[j];
        j = (j + 1) & mask_;
    }
    return nullptr;
}

bool OrderMap::insert(int64_t id, const L3Order &o) {
    if (static_cast<size_t>(size_ + 1) * 2 > keys_.size()) rehash(keys_.size() * 2);
    size_t j = hash(id) & mask_;
    while (used_[j]) {
        if (keys_[j] == id) return false;
        j = (j + 1) & mask_;
    }
    used_[j] = 1;
    keys_[j] = id;
    vals_[j] = o;
    ++size_;
    return true;
}

void OrderMap::erase(int64_t id) {
    size_t j = hash(id) & mask_;
    while (used_[j] && keys_[j] != id) j = (j + 1) & mask_;
    if (!used_[j]) return;
    // Backward-shift deletion keeps probe chains intact without tombstones.
    size_t hole = j;
    size_t k = (j + 1) & mask_;
    while (used_[k]) {
        const size_t home = hash(keys_[k]) & mask_;
        const bool movable = (hole <= k) ? (home <= hole || home > k) : (home <= hole && home > k);
        if (movable) {
            keys_[hole] = keys_[k];
            vals_[hole] = vals_[k];
            hole = k;
        }
        k = (k + 1) & mask_;
    }
    used_[hole] = 0;
    --size_;
}

void OrderMap::clear() {
    std::fill(used_.begin(), used_.end(), 0);
    size_ = 0;
}

// ---------------------------------------------------------------- Book

void Book::reset() {
    bids.clear();
    asks.clear();
    orders.clear();
    stash_.clear();
    stash_ts_ = std::numeric_limits<int64_t>::min();
    next_seq = 1;
    status = TradingStatus::Trading;
    resuming = false;
    l3 = false;
}

int64_t Book::qty_before(int8_t side, int64_t price, int64_t seq) const {
    int64_t sum = 0;
    orders.for_each([&](int64_t, const L3Order &o) {
        if (o.side == side && o.price == price && o.seq < seq) sum += o.qty;
    });
    return sum;
}

int64_t Book::qty_before(int8_t side, int64_t price, int64_t seq, int64_t win_lo, int64_t win_hi) const {
    int64_t sum = 0;
    orders.for_each([&](int64_t, const L3Order &o) {
        if (o.side == side && o.price == price && (o.seq < seq || (o.seq >= win_lo && o.seq < win_hi))) sum += o.qty;
    });
    return sum;
}

void Book::orders_from(int8_t side, int64_t price, int64_t from, std::vector<std::pair<int64_t, int64_t>> &out) const {
    orders.for_each([&](int64_t, const L3Order &o) {
        if (o.side == side && o.price == price && o.seq >= from) out.emplace_back(o.seq, o.qty);
    });
}

void Book::clear_orders(int8_t side, int64_t ts) {
    // A CLEAR at a new time starts a new stash; two one-sided CLEARs at one time add up.
    if (ts != stash_ts_) {
        stash_.clear();
        stash_ts_ = ts;
    }
    if (orders.size() == 0) return;
    if (side == 0 && stash_.size() == 0) {
        stash_.swap(orders);
        orders.clear();
        return;
    }
    std::vector<int64_t> gone;
    orders.for_each([&](int64_t id, const L3Order &o) {
        if (side == 0 || o.side == side) {
            stash_.insert(id, o);
            gone.push_back(id);
        }
    });
    for (int64_t id : gone) orders.erase(id);
}

namespace {
[[noreturn]] void bad(int64_t i, const std::string &what) { throw DataError(i, what); }

const char *kind_name(uint8_t k) {
    switch (k) {
        case 1: return "DEPTH";
        case 2: return "TRADE";
        case 3: return "CLEAR";
        case 4: return "ADD";
        case 5: return "CANCEL";
        case 6: return "DELETE";
        case 7: return "EXECUTE";
        case 8: return "STATUS";
        default: return "?";
    }
}

void need_price(const Event &e, int64_t i) {
    if (!price_ok(e.price))
        bad(i, std::string(kind_name(e.kind)) + " has price " + std::to_string(e.price) +
                   " outside the range the engine accepts ([-2^62, 2^62) ticks)");
}

void need_side(const Event &e, int64_t i) {
    if (e.side != 1 && e.side != -1)
        bad(i, std::string(kind_name(e.kind)) + " has side " + std::to_string(int(e.side)) +
                   " (must be +1 bid/buy or -1 ask/sell)");
}
}  // namespace

BookChange Book::apply_slow(const Event &e, int64_t i) {
    BookChange c;
    switch (static_cast<Kind>(e.kind)) {
        case Kind::Depth: {
            need_side(e, i);
            if (e.qty < 0) bad(i, "DEPTH has negative qty " + std::to_string(e.qty));
            need_price(e, i);
            BookSide &s = side(e.side);
            c.side = e.side;
            c.price = e.price;
            c.new_qty = e.qty;
            c.prev_qty = s.set(e.price, e.qty, i);
            c.book_changed = true;
            // A level on one side at or through the other side's best means those
            // opposite levels are stale (consumed); an L2 feed removes them later.
            if (e.qty > 0 && stale_rule()) side(-e.side).remove_through(e.price, i);
            break;
        }
        case Kind::Trade:
            if (e.side < -1 || e.side > 1)
                bad(i, "TRADE has side " + std::to_string(int(e.side)) +
                           " (must be +1 buyer, -1 seller or 0 unknown aggressor)");
            if (e.qty <= 0) bad(i, "TRADE has non-positive qty " + std::to_string(e.qty));
            need_price(e, i);
            span_.take(e.price, i);  // as a level's price: within 2^34 ticks of every price seen
            break;
        case Kind::Clear:
            // The venue's whole book follows (a snapshot): the cleared side(s) lose their
            // levels and their orders; only orders listed after the CLEAR exist.
            if (e.side == 0) {
                bids.clear();
                asks.clear();
            } else if (e.side == 1 || e.side == -1) {
                side(e.side).clear();
            } else {
                bad(i, "CLEAR has side " + std::to_string(int(e.side)) + " (must be 0, +1 or -1)");
            }
            clear_orders(e.side, e.exch_ts);
            c.side = e.side;
            c.book_changed = true;
            break;
        case Kind::Add: {
            need_side(e, i);
            if (e.qty <= 0) bad(i, "ADD of order " + std::to_string(e.order_id) + " has non-positive qty " +
                                       std::to_string(e.qty));
            need_price(e, i);
            BookSide &s = side(e.side);
            c.prev_qty = s.qty(e.price);
            if (__builtin_add_overflow(c.prev_qty, e.qty, &c.new_qty))
                bad(i, "ADD of order " + std::to_string(e.order_id) + " for qty " + std::to_string(e.qty) +
                           " makes the level at price " + std::to_string(e.price) + " hold more than 2^63-1 lots");
            // Re-listed by the snapshot that cleared it (same venue message, side and price):
            // it keeps its place in the queue. Otherwise it joins at the back.
            const L3Order *old = stash_.size() && e.exch_ts == stash_ts_ ? stash_.find(e.order_id) : nullptr;
            const bool relisted = old && old->side == e.side && old->price == e.price;
            L3Order o{e.qty, e.price, relisted ? old->seq : next_seq, e.side};
            if (!orders.insert(e.order_id, o)) bad(i, "ADD of order " + std::to_string(e.order_id) +
                                                          " which is already in the book");
            if (relisted) stash_.erase(e.order_id);
            else ++next_seq;
            l3 = true;
            c.side = e.side;
            c.price = e.price;
            c.order_seq = o.seq;
            s.set(e.price, c.new_qty, i);
            c.book_changed = true;
            break;
        }
        case Kind::Cancel:
        case Kind::Delete:
        case Kind::Execute: {
            L3Order *o = orders.find(e.order_id);
            const char *kn = kind_name(e.kind);
            if (!o) bad(i, std::string(kn) + " of unknown order id " + std::to_string(e.order_id));
            if (o->side != e.side || o->price != e.price)
                bad(i, std::string(kn) + " of order " + std::to_string(e.order_id) + " at side " +
                           std::to_string(int(e.side)) + " price " + std::to_string(e.price) +
                           ", but the order rests at side " + std::to_string(int(o->side)) + " price " +
                           std::to_string(o->price));
            int64_t q = e.qty;
            if (static_cast<Kind>(e.kind) == Kind::Delete) {
                if (q != o->qty && q != 0)
                    bad(i, "DELETE of order " + std::to_string(e.order_id) + " with qty " + std::to_string(q) +
                               " but its remaining size is " + std::to_string(o->qty));
                q = o->qty;
            } else if (q <= 0 || q > o->qty) {
                bad(i, std::string(kn) + " of order " + std::to_string(e.order_id) + " for qty " +
                           std::to_string(q) + " but its remaining size is " + std::to_string(o->qty));
            }
            BookSide &s = side(o->side);
            c.side = o->side;
            c.price = o->price;
            c.order_seq = o->seq;
            c.prev_qty = s.qty(o->price);
            // The level holds at least its L3 orders' lots unless a DEPTH event set it
            // since they were added: an L2 level and L3 orders at one price. Never a
            // negative level (docs/data.md, "Event arrays without a store").
            if (c.prev_qty < q)
                bad(i, std::string(kn) + " of order " + std::to_string(e.order_id) + " for qty " + std::to_string(q) +
                           " would leave the " + (o->side > 0 ? "bid" : "ask") + " level at price " +
                           std::to_string(o->price) + " with " + std::to_string(c.prev_qty - q) +
                           " lots: a DEPTH event set that level while L3 orders rest there (an L2 level and L3 "
                           "orders at one price cannot be replayed as one book)");
            c.new_qty = c.prev_qty - q;
            s.set(o->price, c.new_qty, i);
            o->qty -= q;
            if (o->qty == 0) orders.erase(e.order_id);
            c.book_changed = true;
            break;
        }
        case Kind::Status:
            if (e.qty < static_cast<int64_t>(TradingStatus::Halted) ||
                e.qty > static_cast<int64_t>(TradingStatus::Trading))
                bad(i, "STATUS has qty " + std::to_string(e.qty) +
                           " (must be a trading status: 1 halted, 2 quoting, 3 trading)");
            if (!trading() && e.qty == static_cast<int64_t>(TradingStatus::Trading)) resuming = true;
            status = static_cast<TradingStatus>(e.qty);
            break;
        default:
            bad(i, "unknown event kind " + std::to_string(int(e.kind)));
    }
    return c;
}

}  // namespace mmsim
