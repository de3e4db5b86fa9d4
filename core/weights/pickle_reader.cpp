// SPDX-License-Identifier: GPL-3.0-or-later
#include "weights/pickle_reader.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace freesel {

const PickleValue* PickleValue::find(const std::string& key) const {
    if (kind != Kind::Dict)
        return nullptr;
    for (const auto& [k, v] : *entries)
        if (k.kind == Kind::String && k.text == key)
            return &v;
    return nullptr;
}

namespace {

/// Containers nested deeper than this are refused: torch.save writes a handful of levels, and
/// destroying a deeper chain recursively could overflow the stack.
constexpr size_t kMaxNesting = 1000;

/// The shared container of a value (its identity in the value graph); null for scalars.
const void* nodeOf(const PickleValue& v) {
    if (v.items)
        return v.items.get();
    return v.entries.get();
}

std::vector<const PickleValue*> childrenOf(const PickleValue& v) {
    std::vector<const PickleValue*> children;
    if (v.items)
        for (const PickleValue& item : *v.items)
            children.push_back(&item);
    if (v.entries)
        for (const auto& [key, value] : *v.entries) {
            children.push_back(&key);
            children.push_back(&value);
        }
    return children;
}

PickleValue makeInt(int64_t value, PickleValue::Kind kind = PickleValue::Kind::Int) {
    PickleValue v;
    v.kind = kind;
    v.integer = value;
    return v;
}

PickleValue makeText(std::string text, PickleValue::Kind kind) {
    PickleValue v;
    v.kind = kind;
    v.text = std::move(text);
    return v;
}

std::vector<int64_t> intsOf(const PickleValue& tuple) {
    std::vector<int64_t> out;
    if (tuple.items)
        for (const PickleValue& item : *tuple.items)
            out.push_back(item.integer);
    return out;
}

/// The stack machine. Only what torch.save emits; anything else is an error, never code.
class Machine {
public:
    Machine(const char* data, size_t size) : data_(data), size_(size) {}
    Machine(const Machine&) = delete;
    Machine& operator=(const Machine&) = delete;
    ~Machine() { dismantleUnreachable(); }

    PickleValue run() {
        while (true) {
            const unsigned char op = byte();
            if (op == '.')
                break;
            step(op);
        }
        if (stack_.size() != 1)
            fail("the pickle ended with " + std::to_string(stack_.size()) + " values on the stack");
        checkStructure(stack_.back());
        return stack_.back();
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error("malformed pickle at byte " + std::to_string(pos_) + ": " + what);
    }
    void need(size_t n) const {
        if (size_ - pos_ < n)
            fail("unexpected end of data");
    }
    unsigned char byte() {
        need(1);
        return static_cast<unsigned char>(data_[pos_++]);
    }
    uint64_t little(size_t n) {
        need(n);
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i)
            v |= uint64_t(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i);
        pos_ += n;
        return v;
    }
    std::string bytes(size_t n) {
        need(n);
        std::string s(data_ + pos_, n);
        pos_ += n;
        return s;
    }
    std::string line() {
        const void* end = std::memchr(data_ + pos_, '\n', size_ - pos_);
        if (!end)
            fail("unterminated GLOBAL name");
        const size_t n = static_cast<const char*>(end) - (data_ + pos_);
        std::string s = bytes(n);
        ++pos_;
        return s;
    }
    PickleValue pop() {
        if (stack_.empty())
            fail("stack underflow");
        PickleValue v = std::move(stack_.back());
        stack_.pop_back();
        return v;
    }
    PickleValue& top() {
        if (stack_.empty())
            fail("stack underflow");
        return stack_.back();
    }
    std::vector<PickleValue> popToMark() {
        if (marks_.empty())
            fail("no MARK");
        const size_t mark = marks_.back();
        marks_.pop_back();
        if (mark > stack_.size())
            fail("MARK beyond the stack");
        std::vector<PickleValue> items(stack_.begin() + long(mark), stack_.end());
        stack_.resize(mark);
        return items;
    }
    void push(PickleValue v) { stack_.push_back(std::move(v)); }
    PickleValue makeKind(PickleValue::Kind kind);
    void checkStructure(const PickleValue& root);
    void dismantleUnreachable();
    void pushTuple(std::vector<PickleValue> items) {
        PickleValue t = makeKind(PickleValue::Kind::Tuple);
        *t.items = std::move(items);
        push(std::move(t));
    }
    void memoPut(uint64_t key) { memo_[key] = top(); }
    void memoGet(uint64_t key) {
        const auto it = memo_.find(key);
        if (it == memo_.end())
            fail("memo key " + std::to_string(key) + " not defined");
        push(it->second);
    }

    void step(unsigned char op);
    void stepContainers(unsigned char op);
    void setItems(PickleValue& dict, std::vector<PickleValue>& flat);
    PickleValue reduce(const PickleValue& callable, const PickleValue& args);
    PickleValue persistentLoad(const PickleValue& pid);

    const char* data_;
    size_t size_;
    size_t pos_ = 0;
    std::vector<PickleValue> stack_;
    std::vector<size_t> marks_;
    std::unordered_map<uint64_t, PickleValue> memo_;
    // Every container made, and those reachable from the accepted result: memo references let
    // a hostile pickle build cycles (a list appended to itself), which shared_ptr never frees.
    std::vector<std::weak_ptr<PickleValue::Items>> madeItems_;
    std::vector<std::weak_ptr<PickleValue::Entries>> madeEntries_;
    std::unordered_map<const void*, size_t> reachable_; ///< container -> its nesting height
};

PickleValue Machine::makeKind(PickleValue::Kind kind) {
    PickleValue v;
    v.kind = kind;
    if (kind == PickleValue::Kind::List || kind == PickleValue::Kind::Tuple ||
        kind == PickleValue::Kind::Object) {
        v.items = std::make_shared<PickleValue::Items>();
        madeItems_.push_back(v.items);
    }
    if (kind == PickleValue::Kind::Dict) {
        v.entries = std::make_shared<PickleValue::Entries>();
        madeEntries_.push_back(v.entries);
    }
    return v;
}

/// Refuses a result that contains itself or nests deeper than kMaxNesting (an iterative
/// depth-first walk, so a hostile depth cannot overflow the stack here either), and notes every
/// container it reaches with the depth of the nesting below it.
void Machine::checkStructure(const PickleValue& root) {
    struct Frame {
        const void* node;
        const void* state; ///< an Object's BUILD state, its second container (else null)
        std::vector<const PickleValue*> children;
        size_t next = 0;
        size_t height = 1; ///< of the deepest chain of containers from this one down
    };
    std::unordered_set<const void*> open; // the containers on the current path
    std::vector<Frame> path;
    auto tooDeep = [&](size_t depth) {
        if (depth > kMaxNesting)
            fail("containers nested more than " + std::to_string(kMaxNesting) + " deep");
    };
    auto enter = [&](const PickleValue& v) {
        const void* node = nodeOf(v);
        if (!node)
            return;
        if (open.count(node))
            fail("a container holds itself (recursive structures are not supported)");
        const auto done = reachable_.find(node);
        if (done != reachable_.end()) { // shared, already checked: only its depth matters here
            tooDeep(path.size() + done->second);
            path.back().height = std::max(path.back().height, 1 + done->second);
            return;
        }
        tooDeep(path.size() + 1);
        open.insert(node);
        path.push_back({node, v.items ? v.entries.get() : nullptr, childrenOf(v)});
    };
    enter(root);
    while (!path.empty()) {
        Frame& frame = path.back();
        if (frame.next < frame.children.size()) {
            enter(*frame.children[frame.next++]); // may push: `frame` is not used after this
            continue;
        }
        const size_t height = frame.height;
        open.erase(frame.node);
        reachable_.emplace(frame.node, height);
        if (frame.state)
            reachable_.emplace(frame.state, height);
        path.pop_back();
        if (!path.empty())
            path.back().height = std::max(path.back().height, 1 + height);
    }
}

/// Empties every container the result does not hold (all of them when parsing failed), so
/// cycles among them are broken and nothing leaks. They are kept alive while being emptied,
/// so no destructor recurses through a deep chain.
void Machine::dismantleUnreachable() {
    std::vector<std::shared_ptr<PickleValue::Items>> items;
    std::vector<std::shared_ptr<PickleValue::Entries>> entries;
    for (const auto& weak : madeItems_)
        if (auto strong = weak.lock(); strong && !reachable_.count(strong.get()))
            items.push_back(std::move(strong));
    for (const auto& weak : madeEntries_)
        if (auto strong = weak.lock(); strong && !reachable_.count(strong.get()))
            entries.push_back(std::move(strong));
    stack_.clear();
    memo_.clear();
    for (const auto& list : items)
        list->clear();
    for (const auto& dict : entries)
        dict->clear();
}

void Machine::step(unsigned char op) {
    using K = PickleValue::Kind;
    switch (op) {
    case 0x80:
        byte();
        return; // PROTO
    case 0x95:
        little(8);
        return; // FRAME
    case '(':
        marks_.push_back(stack_.size());
        return; // MARK
    case 'N':
        push({});
        return; // NONE
    case 0x88:
        push(makeInt(1, K::Bool));
        return; // NEWTRUE
    case 0x89:
        push(makeInt(0, K::Bool));
        return; // NEWFALSE
    case 'K':
        push(makeInt(int64_t(little(1))));
        return; // BININT1
    case 'M':
        push(makeInt(int64_t(little(2))));
        return; // BININT2
    case 'J':
        push(makeInt(int32_t(uint32_t(little(4)))));
        return;  // BININT
    case 0x8a: { // LONG1
        const size_t n = byte();
        if (n > 8)
            fail("integer wider than 64 bits");
        uint64_t v = little(n);
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) // sign-extend
            v |= ~uint64_t(0) << (8 * n);
        push(makeInt(int64_t(v)));
        return;
    }
    case 'G': { // BINFLOAT: big-endian double
        need(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i)
            bits = (bits << 8) | static_cast<unsigned char>(data_[pos_ + size_t(i)]);
        pos_ += 8;
        PickleValue v;
        v.kind = K::Float;
        std::memcpy(&v.real, &bits, sizeof bits);
        push(v);
        return;
    }
    case 'X':
        push(makeText(bytes(little(4)), K::String));
        return; // BINUNICODE
    case 0x8c:
        push(makeText(bytes(little(1)), K::String));
        return; // SHORT_BINUNICODE
    case 0x8d:
        push(makeText(bytes(little(8)), K::String));
        return; // BINUNICODE8
    case 'T':
        push(makeText(bytes(little(4)), K::String));
        return; // BINSTRING
    case 'U':
        push(makeText(bytes(little(1)), K::String));
        return; // SHORT_BINSTRING
    case 'B':
        push(makeText(bytes(little(4)), K::Bytes));
        return; // BINBYTES
    case 'C':
        push(makeText(bytes(little(1)), K::Bytes));
        return; // SHORT_BINBYTES
    case 0x8e:
        push(makeText(bytes(little(8)), K::Bytes));
        return; // BINBYTES8
    case 'q':
        memoPut(little(1));
        return; // BINPUT
    case 'r':
        memoPut(little(4));
        return; // LONG_BINPUT
    case 0x94:
        memoPut(memo_.size());
        return; // MEMOIZE
    case 'h':
        memoGet(little(1));
        return; // BINGET
    case 'j':
        memoGet(little(4));
        return; // LONG_BINGET
    case 'c': { // GLOBAL
        const std::string module = line();
        push(makeText(module + "." + line(), K::Object));
        return;
    }
    case 0x93: { // STACK_GLOBAL
        const PickleValue name = pop(), module = pop();
        push(makeText(module.text + "." + name.text, K::Object));
        return;
    }
    case 'R':
    case 0x81: { // REDUCE, NEWOBJ: callable(*args)
        const PickleValue args = pop(), callable = pop();
        push(reduce(callable, args));
        return;
    }
    case 'b': { // BUILD: an object's attribute dict (TorchScript modules keep their tensors there)
        const PickleValue state = pop();
        PickleValue& object = top();
        if (object.kind == PickleValue::Kind::Object && state.isDict())
            object.entries = state.entries;
        return;
    }
    case 'Q': { // BINPERSID
        const PickleValue pid = pop();
        push(persistentLoad(pid));
        return;
    }
    default:
        stepContainers(op);
    }
}

void Machine::stepContainers(unsigned char op) {
    using K = PickleValue::Kind;
    switch (op) {
    case '}':
        push(makeKind(K::Dict));
        return; // EMPTY_DICT
    case ']':
        push(makeKind(K::List));
        return; // EMPTY_LIST
    case 0x8f:
        push(makeKind(K::List));
        return; // EMPTY_SET (as a list)
    case ')':
        pushTuple({});
        return; // EMPTY_TUPLE
    case 't':
        pushTuple(popToMark());
        return; // TUPLE
    case 0x91:
        pushTuple(popToMark());
        return; // FROZENSET
    case 0x85:
    case 0x86:
    case 0x87: { // TUPLE1..3
        std::vector<PickleValue> items(size_t(op - 0x84));
        for (size_t i = items.size(); i-- > 0;)
            items[i] = pop();
        pushTuple(std::move(items));
        return;
    }
    case 'l': { // LIST
        PickleValue list = makeKind(K::List);
        *list.items = popToMark();
        push(std::move(list));
        return;
    }
    case 'a': { // APPEND
        PickleValue item = pop();
        if (!top().items)
            fail("APPEND to a non-list");
        top().items->push_back(std::move(item));
        return;
    }
    case 'e':
    case 0x90: { // APPENDS, ADDITEMS
        std::vector<PickleValue> items = popToMark();
        if (!top().items)
            fail("APPENDS to a non-list");
        top().items->insert(top().items->end(), items.begin(), items.end());
        return;
    }
    case 's': { // SETITEM
        std::vector<PickleValue> pair(2);
        pair[1] = pop();
        pair[0] = pop();
        setItems(top(), pair);
        return;
    }
    case 'u': { // SETITEMS
        std::vector<PickleValue> flat = popToMark();
        setItems(top(), flat);
        return;
    }
    case 'd': { // DICT
        std::vector<PickleValue> flat = popToMark();
        PickleValue dict = makeKind(K::Dict);
        setItems(dict, flat);
        push(std::move(dict));
        return;
    }
    default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("unsupported pickle opcode ") + hex);
    }
    }
}

void Machine::setItems(PickleValue& dict, std::vector<PickleValue>& flat) {
    if (flat.size() % 2 != 0)
        fail("odd number of SETITEMS values");
    if (dict.kind == PickleValue::Kind::Object) // e.g. a dict subclass: keep it as a dict
        dict = makeKind(PickleValue::Kind::Dict);
    if (!dict.isDict())
        fail("SETITEM on a non-dict");
    for (size_t i = 0; i < flat.size(); i += 2)
        dict.entries->emplace_back(std::move(flat[i]), std::move(flat[i + 1]));
}

PickleValue Machine::reduce(const PickleValue& callable, const PickleValue& args) {
    using K = PickleValue::Kind;
    const std::string& name = callable.text;
    const PickleValue::Items noItems;
    const PickleValue::Items& a = args.items ? *args.items : noItems;
    if (name == "collections.OrderedDict") {
        PickleValue dict = makeKind(K::Dict);
        if (!a.empty() && a[0].items) // OrderedDict([(k, v), ...])
            for (const PickleValue& pair : *a[0].items)
                if (pair.items && pair.items->size() == 2)
                    dict.entries->emplace_back((*pair.items)[0], (*pair.items)[1]);
        return dict;
    }
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor" ||
        name == "torch._utils._rebuild_tensor_v3") {
        if (a.size() < 4 || !a[0].isTensor())
            fail(name + " without a storage");
        PickleValue t = a[0]; // the storage placeholder
        t.tensor = std::make_shared<PickledTensor>(*a[0].tensor);
        t.tensor->offset = a[1].integer;
        t.tensor->sizes = intsOf(a[2]);
        t.tensor->strides = intsOf(a[3]);
        if (name == "torch._utils._rebuild_tensor_v3" && a.size() > 6)
            t.tensor->dtype = a[6].text; // "torch.float32" etc.
        return t;
    }
    // LibTorch's own pickler (torch::pickle_save) tags typed containers: keep the container.
    if (name == "torch.jit._pickle.restore_type_tag" && !a.empty())
        return a[0];
    if (name == "torch._utils._rebuild_parameter" ||
        name == "torch._utils._rebuild_parameter_with_state") {
        if (a.empty())
            fail(name + " without data");
        return a[0];
    }
    PickleValue object = makeText(name, K::Object);
    object.items = std::make_shared<PickleValue::Items>(a);
    madeItems_.push_back(object.items);
    return object;
}

PickleValue Machine::persistentLoad(const PickleValue& pid) {
    // ('storage', storage class, key, location, numel)
    if (!pid.items || pid.items->size() < 5 || (*pid.items)[0].text != "storage")
        fail("unknown persistent id (not a torch storage)");
    const PickleValue::Items& p = *pid.items;
    PickleValue v;
    v.kind = PickleValue::Kind::Tensor;
    v.tensor = std::make_shared<PickledTensor>();
    const std::string& type = p[1].text; // "torch.FloatStorage"
    v.tensor->storageType = type.substr(type.rfind('.') + 1);
    v.tensor->storageKey = p[2].text;
    v.tensor->storageElements = p[4].integer;
    return v;
}

} // namespace

PickleValue parsePickle(const char* data, size_t size) {
    return Machine(data, size).run();
}

} // namespace freesel
