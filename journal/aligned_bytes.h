// FlatBuffers reads scalars in place, so a buffer must be aligned for the
// widest scalar it holds (8 bytes). RocksDB hands out values at any address,
// and a record's envelope starts 4 bytes in: view them through this, which
// copies only when the bytes are misaligned.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace signet {

class AlignedBytes {
 public:
  explicit AlignedBytes(std::string_view bytes) : size_(bytes.size()) {
    if ((reinterpret_cast<uintptr_t>(bytes.data()) & 7u) == 0) {
      data_ = reinterpret_cast<const uint8_t*>(bytes.data());
      return;
    }
    storage_.reset(new uint64_t[(bytes.size() + 7) / 8 + 1]);
    std::memcpy(storage_.get(), bytes.data(), bytes.size());
    data_ = reinterpret_cast<const uint8_t*>(storage_.get());
  }
  const uint8_t* data() const { return data_; }
  const char* chars() const { return reinterpret_cast<const char*>(data_); }
  size_t size() const { return size_; }

 private:
  std::unique_ptr<uint64_t[]> storage_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace signet
