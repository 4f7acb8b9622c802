package democity

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Surnames, weighted towards those common around Yixing (储, 蒋, 史, 邵, 任 …) by
// repetition.
var surnames = []rune("陈陈陈陈王王王张张张徐徐徐周周周吴吴吴朱朱李李蒋蒋蒋储储储沈沈任任邵邵潘潘史史史许杨钱黄刘邹汤谈路范胡孙马杭宗万鲍顾葛强闵芮尹卢袁")

var givenChars = []rune("建国华明伟强军平芳英丽敏静燕霞红杰涛斌磊勇洁婷雪琴娟慧峰刚辉波超鹏浩宇晨欣怡佳俊文志永海春玉兰新荣忠德秀云凤霖阳军健丹萍亮军晓林锋彬颖琳倩蕾")

var mobilePrefixes = []string{"133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
	"157", "158", "159", "177", "180", "181", "182", "187", "189", "199"}

// personName returns a plausible full name.
func personName(r *rand.Rand) string {
	var b strings.Builder
	b.WriteRune(oneOf(r, surnames))
	b.WriteRune(oneOf(r, givenChars))
	if chance(r, 0.7) {
		b.WriteRune(oneOf(r, givenChars))
	}
	return b.String()
}

// mobile returns an 11-digit mobile number.
func mobile(r *rand.Rand) string {
	return fmt.Sprintf("%s%08d", oneOf(r, mobilePrefixes), r.IntN(100000000))
}

// landline returns a Yixing office number (area code 0510, 8 digits from 8).
func landline(r *rand.Rand) string {
	return fmt.Sprintf("0510-8%07d", r.IntN(10000000))
}

// caller returns how a hotline records a caller: surname plus 先生/女士.
func caller(r *rand.Rand) string {
	return string(oneOf(r, surnames)) + oneOf(r, []string{"先生", "女士"})
}

// Community name roots: unique two- or three-character place names.
var communityRoots = []string{
	"东珠", "南园", "西庙", "北门", "长桥", "蛟桥", "荆溪", "东虹", "龙背", "城中",
	"人民", "宜园", "阳泉", "团氿", "东氿", "西氿", "联星", "新城", "百合", "汇富",
	"方桥", "潘墅", "丰义", "新芳", "川埠", "汤渡", "西望", "蜀山", "紫砂", "陶都",
	"洋渚", "白宕", "三洞桥", "莲花", "双桥", "洑东", "湖滨", "归径", "茗岭", "善卷",
	"竹海", "南门", "西园", "凤凰", "金星", "光明", "新华", "红星", "胜利", "东风",
	"永丰", "石亭", "桃园", "杨湾", "塘头", "徐庄", "沙塘", "梅园", "云湖", "太平",
	"兴隆", "华阳", "芳庄", "后村", "蒲墅", "宜丰", "茶亭", "秋湖", "涧众", "洋溪",
	"前墅", "丁山", "西山", "毛家", "浦南", "闸口", "南漕", "东坡", "临津", "官林",
	"都山", "义庄", "谈家", "新桥", "南新", "红塔", "宜南", "芳溪", "银湖", "荷花",
	"张泽", "省庄", "筱里", "渭渎", "洋口", "潼渚", "东岳", "钟溪", "均益", "兆丰",
	"岭下", "篁里", "张阳", "高遥", "升溪", "扶风", "龙池", "观蠡", "乔庄", "周墅",
}

// Roads of the urban core and generic road names for the towns.
var urbanRoads = []string{
	"人民中路", "人民南路", "人民北路", "解放东路", "解放西路", "阳羡东路", "阳羡西路", "荆溪北路",
	"荆溪南路", "东虹路", "宜北路", "氿滨大道", "陶都路", "健康路", "通真观路", "城北路",
	"宜城路", "阳泉东路", "阳泉西路", "东山东路", "西氿大道", "龙潭路", "茶泉路", "教育路",
	"团氿路", "太滆路", "宜浦路", "文庄路", "丰义路", "东庙巷", "西庙巷", "南大街",
}

var townRoads = []string{
	"建设路", "新华路", "前进路", "振兴路", "兴业路", "育才路", "文化路", "工业路",
	"人民路", "解放路", "中山路", "长安路", "团结路", "和平路", "友谊路", "幸福路",
	"金桥路", "滨河路", "环镇路", "商业街", "紫砂路", "陶瓷路", "蜀山路", "望湖路",
}

// Words for compounds, venues and shops.
var placeWords = []string{
	"锦绣", "华府", "阳光", "翠竹", "金色", "碧桂", "绿洲", "紫金", "御景", "春晖",
	"荆溪", "氿滨", "东方", "明珠", "丽景", "恒大", "万达", "新城", "青山", "湖畔",
	"书香", "龙湾", "清风", "福地", "嘉园", "康城", "丰泽", "锦江", "美林", "香樟",
	"海棠", "玉兰", "桂花", "银杏", "枫林", "水岸", "江南", "陶源", "紫砂", "梅林",
}

var compoundSuffixes = []string{"花园", "小区", "新村", "家园", "苑", "公寓", "名都", "华庭", "雅苑", "佳园"}
